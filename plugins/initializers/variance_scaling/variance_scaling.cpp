// Initializer 'variance_scaling' (Keras VarianceScaling): variance scale / fan; scale 1, mode fan_in
// (fan_in, fan_out, fan_avg), distribution truncated_normal (normal, uniform, truncated_normal).
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("variance_scaling", "0.1.0", "initializer:variance_scaling", 0) {
  registrar.add_initializer("variance_scaling", [](const Params& p) {
    VarianceScaling defaults{p.number("scale", 1.0, 0.0), "fan_in", "truncated_normal"};
    if (!(defaults.scale > 0)) p.fail("scale", "must be > 0");
    const auto rule = VarianceScaling::read(p, defaults);
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("variance_scaling", rule);
  });
}
