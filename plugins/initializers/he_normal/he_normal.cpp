// Initializer 'he_normal' (Kaiming; torch.nn.init.kaiming_normal_ for relu): N(0, 2 / fan), fan by mode (fan_in).
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("he_normal", "0.1.0", "initializer:he_normal", 0) {
  registrar.add_initializer("he_normal", [](const Params& p) {
    const auto rule = VarianceScaling::read(p, {2.0, "fan_in", "normal"});
    if (rule.distribution != "normal") p.fail("distribution", "is fixed for he_normal; use variance_scaling");
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("he_normal", rule);
  });
}
