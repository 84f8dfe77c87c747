// Initializer 'lecun_uniform' (Keras): U(-a, a), a = sqrt(3 / fan_in).
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("lecun_uniform", "0.1.0", "initializer:lecun_uniform", 0) {
  registrar.add_initializer("lecun_uniform", [](const Params& p) {
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("lecun_uniform", VarianceScaling{1.0, "fan_in", "uniform"});
  });
}
