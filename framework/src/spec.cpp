#include "nnplug/framework/spec.hpp"

#include <fstream>
#include <sstream>

namespace nnplug {

Params Spec::section(const std::string& key, const Params::Json& fallback) const {
  return Params(path.string() + ": " + key, json.contains(key) ? json[key] : fallback);
}

std::filesystem::path Spec::resolve(const std::string& p) const {
  const std::filesystem::path candidate(p);
  return candidate.is_absolute() ? candidate : path.parent_path() / candidate;
}

Spec parse_spec(const std::string& text, const std::filesystem::path& path) {
  Spec spec;
  spec.path = path;
  try {
    spec.json = Params::Json::parse(text);
  } catch (const Params::Json::parse_error& e) {
    // nlohmann reports a byte offset; people read lines and columns.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    std::string what = e.what();
    if (const auto pos = what.find("; "); pos != std::string::npos) what = what.substr(pos + 2);
    throw InvalidArgument(path.string() + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": not valid JSON: " + what);
  }
  if (!spec.json.is_object()) throw InvalidArgument(path.string() + ": a spec must be a JSON object");
  return spec;
}

Spec load_spec(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path.string() + ": cannot open the spec file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_spec(ss.str(), path);
}

}  // namespace nnplug
