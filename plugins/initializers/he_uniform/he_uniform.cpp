// Initializer 'he_uniform' (Kaiming; torch.nn.init.kaiming_uniform_ for relu): U(-a, a), a = sqrt(6 / fan), fan by mode.
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("he_uniform", "0.1.0", "initializer:he_uniform", 0) {
  registrar.add_initializer("he_uniform", [](const Params& p) {
    const auto rule = VarianceScaling::read(p, {2.0, "fan_in", "uniform"});
    if (rule.distribution != "uniform") p.fail("distribution", "is fixed for he_uniform; use variance_scaling");
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("he_uniform", rule);
  });
}
