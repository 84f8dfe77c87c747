// Activations 'hard_swish' and its other name 'hard_silu' (PyTorch Hardswish, MobileNetV3's h-swish, Keras 3's
// hard_silu): x relu6(x + 3) / 6, swish with the sigmoid made piecewise linear. Its gradient is PyTorch's: 0 below
// -3, x / 3 + 1/2 on [-3, 3], 1 above.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("hard_swish", "0.1.0", "activation:hard_swish activation:hard_silu", 0) {
  nnplug::register_pointwise(registrar, "hard_swish", nnplug::Pointwise::HardSwish);
  nnplug::register_pointwise(registrar, "hard_silu", nnplug::Pointwise::HardSwish);
}
