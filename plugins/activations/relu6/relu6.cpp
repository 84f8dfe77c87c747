// Activation 'relu6' (PyTorch ReLU6, Keras relu6): min(max(0, x), 6), MobileNet's; the gradient is 0 at both kinks.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("relu6", "0.1.0", "activation:relu6", 0) {
  nnplug::register_pointwise(registrar, "relu6", nnplug::Pointwise::Relu6);
}
