// Initializer 'xavier_uniform' (Glorot; torch.nn.init.xavier_uniform_): U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)).
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("xavier_uniform", "0.1.0", "initializer:xavier_uniform", 0) {
  registrar.add_initializer("xavier_uniform", [](const Params& p) {
    const double gain = p.number("gain", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("xavier_uniform", VarianceScaling{gain * gain, "fan_avg", "uniform"});
  });
}
