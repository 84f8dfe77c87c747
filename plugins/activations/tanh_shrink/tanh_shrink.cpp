// Activation 'tanh_shrink' (PyTorch Tanhshrink, Keras 3's tanh_shrink): x - tanh(x).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("tanh_shrink", "0.1.0", "activation:tanh_shrink", 0) {
  nnplug::register_pointwise(registrar, "tanh_shrink", nnplug::Pointwise::TanhShrink);
}
