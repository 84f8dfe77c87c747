#pragma once
// Spec: a model spec file (JSON) that names plugins and their parameters. The format is in the README.
// load_spec() reports a syntax error with the file, line and column; every later error names the file and the
// field (e.g. "mlp.json: layers[2] (dense): parameter 'units' must be in [1, inf], got -3").
#include <filesystem>
#include <string>

#include "nnplug/params.hpp"

namespace nnplug {

struct Spec {
  std::filesystem::path path;  // relative paths in the spec are relative to its folder
  Params::Json json;
  // What messages call the spec when it is not `path` itself: a model file's saved spec is named by the model file.
  std::string name;
  std::string where() const { return name.empty() ? path.string() : name; }
  // The section `key` as Params owned by "FILE: key"; `fallback` when absent.
  Params section(const std::string& key, const Params::Json& fallback = Params::Json::object()) const;
  // A path in the spec, resolved against the spec file's folder when relative.
  std::filesystem::path resolve(const std::string& p) const;
  // Applies a command-line override "PATH=VALUE": PATH is dotted with array indices ("layers.0.units",
  // "optimizer.lr"), VALUE is JSON (a bare word is taken as a string). Objects on the way are created.
  void set(const std::string& assignment);
};

Spec load_spec(const std::filesystem::path& path);
Spec parse_spec(const std::string& text, const std::filesystem::path& path);

}  // namespace nnplug
