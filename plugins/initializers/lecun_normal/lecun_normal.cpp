// Initializer 'lecun_normal' (Keras; PyTorch has none): truncated normal with variance 1 / fan_in.
#include "nnplug/plugin.hpp"
#include "nnplug/variance_scaling.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("lecun_normal", "0.1.0", "initializer:lecun_normal", 0) {
  registrar.add_initializer("lecun_normal", [](const Params& p) {
    p.check_unused();
    return std::make_unique<VarianceScalingInitializer>("lecun_normal", VarianceScaling{1.0, "fan_in", "truncated_normal"});
  });
}
