#include "nnplug/conformance/plugin_registry.hpp"

#include <cstdio>
#include <sstream>

#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::conformance {

namespace {
struct Loaded {
  Registry registry;
  std::vector<Candidate> verdicts;
};

const Loaded& loaded() {
  static Loaded* r = [] {
    // Never destroyed: plugin code must stay loaded until the process ends (test objects may outlive main).
    auto* l = new Loaded;
    l->verdicts = PluginLoader().load_all(l->registry);
    for (const auto& c : l->verdicts)
      if (c.verdict == Verdict::Rejected) std::fprintf(stderr, "nnplug conformance: %s: %s\n", c.path.c_str(), c.reason.c_str());
    return l;
  }();
  return *r;
}
}  // namespace

const Registry& registry() { return loaded().registry; }

std::optional<std::string> backend_unavailable(const std::string& name) {
  if (registry().has(PluginKind::Backend, name)) return std::nullopt;
  const std::string wanted = "backend:" + name;
  for (const auto& c : loaded().verdicts) {
    std::istringstream provides(c.provides);
    for (std::string p; provides >> p;)
      if (p == wanted) return "backend '" + name + "' is not usable here: " + c.path.string() + ": " + c.reason;
  }
  return "no plugin on the search path provides backend '" + name + "'";
}

std::shared_ptr<Backend> reference_backend() { return registry().create_backend(Params("reference backend", "cpu")); }

}  // namespace nnplug::conformance
