// Activation 'selu' (PyTorch SELU): scale * elu(x, alpha) with the self-normalising constants.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("selu", "0.1.0", "activation:selu", 0) {
  nnplug::register_pointwise(registrar, "selu", nnplug::Pointwise::Selu);
}
