#pragma once
// PluginLoader: finds plugin libraries, checks them and registers the good ones into a Registry.
// Search order: directories given through add_directory() (an explicit API call or --plugin-path), then
// NNPLUG_PLUGIN_PATH (colon-separated), then the plugins that come with the framework (bundled_plugin_dir()).
// Every candidate gets a verdict; a bad library is reported with its path and reason and never stops the others.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace boost::dll {
class shared_library;
}

namespace nnplug {

// A plugin library that passed its checks and stays loaded while anything of it lives.
class Library {
 public:
  Library(std::filesystem::path path, std::shared_ptr<boost::dll::shared_library> handle, std::string name,
          std::string version, int priority, std::vector<std::string> provides);
  ~Library();
  const std::filesystem::path& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  int priority() const { return priority_; }
  const std::vector<std::string>& provides() const { return provides_; }  // "kind:name"
  // "plugin cpu_avx2@0.1.0 (/path/cpu_avx2.so)", the prefix of every message about it.
  std::string label() const;

 private:
  std::filesystem::path path_;
  std::shared_ptr<boost::dll::shared_library> handle_;
  std::string name_, version_;
  int priority_;
  std::vector<std::string> provides_;
};

// nnplug/plugins next to the framework library: build/lib/nnplug/plugins in a build tree,
// <prefix>/lib/nnplug/plugins once installed.
std::filesystem::path bundled_plugin_dir();

// "build fingerprint mismatch: compiler gcc 11 in the plugin, compiler gcc 12 in the host": the fields of two
// fingerprints that differ, in one line.
std::string explain_fingerprint_mismatch(const std::string& plugin, const std::string& host);

enum class Verdict { Loaded, Rejected, Unusable, Shadowed };
const char* verdict_name(Verdict v);

// What the loader decided about one file.
struct Candidate {
  std::filesystem::path path;
  Verdict verdict = Verdict::Rejected;
  std::string reason;  // empty when loaded
  std::string name, version, provides, compiler;
  int priority = 0;
  unsigned abi_version = 0;
  double score = 0.0;
};

class PluginLoader {
 public:
  // Searched first, in the order added.
  void add_directory(const std::filesystem::path& dir);
  // One library, opened before every directory (plugin-check's file under test); the other files of its folder
  // are not opened, so their constructors do not run.
  void add_file(const std::filesystem::path& file);
  // The full search path in order (explicit, NNPLUG_PLUGIN_PATH, bundled), existing or not.
  std::vector<std::filesystem::path> search_path() const;
  // Loads every candidate of the search path into registry. Returns the verdicts, in search order.
  std::vector<Candidate> load_all(Registry& registry) const;
  // Problems with the search path itself (an explicit directory that does not exist, ...).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<std::filesystem::path> explicit_dirs_, explicit_files_;
  mutable std::vector<std::string> warnings_;
};

}  // namespace nnplug
