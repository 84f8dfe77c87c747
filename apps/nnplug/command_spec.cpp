// What the commands that run a spec or a saved model do first: load the plugins, then read the spec and apply --set.
#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

void load_plugin_folders(const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  // A --plugin-path folder mistyped or unreadable is said, or its plugins would only be "unknown" later.
  for (const auto& w : loader.warnings()) fmt::print(stderr, "warning: {}\n", w);
}

Spec load_command_spec(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                       const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  load_plugin_folders(plugin_dirs, registry);
  Spec spec = load_spec(path);
  for (const auto& o : overrides) spec.set(o);
  return spec;
}

}  // namespace nnplug::cli
