// Activation 'relu': max(0, x); relu'(0) = 0 as in PyTorch.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("relu", "0.1.0", "activation:relu", 0) {
  nnplug::register_pointwise(registrar, "relu", nnplug::Pointwise::Relu);
}
