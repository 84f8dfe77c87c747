// nnplug plugins: what was found, what was loaded, and why anything was not.

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

int plugins(const PluginsArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  const auto verdicts = loader.load_all(registry);

  if (args.explain) {
    fmt::print("search path, in order:\n");
    std::error_code ec;  // a folder that cannot be examined (a symlink loop) is shown as missing, not thrown on
    for (const auto& d : loader.search_path())
      fmt::print("  {}{}\n", d.c_str(), std::filesystem::is_directory(d, ec) ? "" : "   (does not exist)");
    fmt::print("\n");
  }
  fmt::print("{:<12} {:<24} {:<9} {}\n", "KIND", "NAME", "VERSION", "LIBRARY");
  for (const auto& e : registry.entries())
    fmt::print("{:<12} {:<24} {:<9} {}\n", kind_name(e.kind), e.name.c_str(), e.library->version().c_str(), e.library->path().c_str());

  bool any_other = false;
  for (const auto& c : verdicts) {
    if (c.verdict == Verdict::Loaded && !args.explain) continue;
    if (!any_other) fmt::print("\n{}:\n", args.explain ? "verdict on every file" : "not loaded");
    any_other = true;
    fmt::print("  {:<9} {}\n", verdict_name(c.verdict), c.path.c_str());
    if (!c.reason.empty()) fmt::print("            {}\n", c.reason.c_str());
  }
  for (const auto& w : loader.warnings()) fmt::print("warning: {}\n", w.c_str());
  return 0;
}

}  // namespace nnplug::cli
