// Activation 'hard_shrink' (PyTorch Hardshrink, Keras 3's hard_shrink): hard thresholding, x where |x| > lambd and
// 0 elsewhere; `lambd` (PyTorch's name) 0.5, at least 0.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("hard_shrink", "0.1.0", "activation:hard_shrink", 0) {
  nnplug::register_pointwise(registrar, "hard_shrink", nnplug::Pointwise::HardShrink, {"lambd", 0.5, 0.0});
}
