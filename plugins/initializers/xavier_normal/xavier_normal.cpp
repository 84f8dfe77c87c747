// Initializer 'xavier_normal' (Glorot; torch.nn.init.xavier_normal_): N(0, gain^2 2 / (fan_in + fan_out)).
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("xavier_normal", "0.1.0", "initializer:xavier_normal", 0) {
  registrar.add_initializer("xavier_normal", [](const Params& p) {
    const double gain = p.number("gain", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("xavier_normal", VarianceScaling{gain * gain, "fan_avg", "normal"});
  });
}
