#include "nnplug/conformance/plugin_registry.hpp"

#include <fmt/format.h>

#include "nnplug/framework/network.hpp"

namespace nnplug::conformance {

const Registry& registry() { return load_plugins(); }

std::optional<std::string> backend_unavailable(const std::string& name) {
  if (registry().has(PluginKind::Backend, name)) return std::nullopt;
  const std::string why = registry().why_unavailable(PluginKind::Backend, name);
  if (why.empty()) return fmt::format("no plugin on the search path provides backend '{}'", name);
  return fmt::format("backend '{}' is not usable here: {}", name, why);
}

std::shared_ptr<Backend> reference_backend() { return registry().create_backend(Params("reference backend", "cpu")); }

}  // namespace nnplug::conformance
