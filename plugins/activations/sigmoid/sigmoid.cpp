// Activation 'sigmoid': 1 / (1 + e^-x).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("sigmoid", "0.1.0", "activation:sigmoid", 0) {
  nnplug::register_pointwise(registrar, "sigmoid", nnplug::Pointwise::Sigmoid);
}
