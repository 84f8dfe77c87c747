#include "nnplug/conformance/plugin_registry.hpp"

#include <cstdio>

#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::conformance {

const Registry& registry() {
  static Registry* r = [] {
    // Never destroyed: plugin code must stay loaded until the process ends (test objects may outlive main).
    auto* loaded = new Registry;
    PluginLoader loader;
    for (const auto& c : loader.load_all(*loaded))
      if (c.verdict == Verdict::Rejected) std::fprintf(stderr, "nnplug conformance: %s: %s\n", c.path.c_str(), c.reason.c_str());
    return loaded;
  }();
  return *r;
}

std::optional<std::string> backend_unavailable(const std::string& name) {
  if (registry().has(PluginKind::Backend, name)) return std::nullopt;
  const std::string why = registry().why_unavailable(PluginKind::Backend, name);
  if (why.empty()) return "no plugin on the search path provides backend '" + name + "'";
  return "backend '" + name + "' is not usable here: " + why;
}

std::shared_ptr<Backend> reference_backend() { return registry().create_backend(Params("reference backend", "cpu")); }

}  // namespace nnplug::conformance
