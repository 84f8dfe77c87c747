// Activation 'soft_shrink' (PyTorch Softshrink, Keras 3's soft_shrink): soft thresholding, x - lambd sign(x) where
// |x| > lambd and 0 elsewhere; `lambd` (PyTorch's name) 0.5, at least 0.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("soft_shrink", "0.1.0", "activation:soft_shrink", 0) {
  nnplug::register_pointwise(registrar, "soft_shrink", nnplug::Pointwise::SoftShrink, {"lambd", 0.5, 0.0});
}
