// What the commands that run a spec do first: load the plugins, then read the spec and apply --set.
#include "commands.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

Spec load_command_spec(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                       const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  Spec spec = load_spec(path);
  for (const auto& o : overrides) spec.set(o);
  return spec;
}

}  // namespace nnplug::cli
