// Activation 'leaky_relu' (PyTorch LeakyReLU): x if x > 0 else negative_slope * x; negative_slope 0.01.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("leaky_relu", "0.1.0", "activation:leaky_relu", 0) {
  nnplug::register_pointwise(registrar, "leaky_relu", nnplug::Pointwise::LeakyRelu, {"negative_slope", 0.01, 0.0});
}
