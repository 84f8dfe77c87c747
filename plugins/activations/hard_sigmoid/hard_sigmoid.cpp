// Activation 'hard_sigmoid' (PyTorch Hardsigmoid, Keras 3's hard_sigmoid): relu6(x + 3) / 6, a piecewise-linear
// sigmoid; the gradient is 1/6 strictly inside (-3, 3) and 0 elsewhere.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("hard_sigmoid", "0.1.0", "activation:hard_sigmoid", 0) {
  nnplug::register_pointwise(registrar, "hard_sigmoid", nnplug::Pointwise::HardSigmoid);
}
