// Activation 'gelu' (PyTorch GELU, exact form): x * Phi(x), Phi the standard normal CDF.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("gelu", "0.1.0", "activation:gelu", 0) {
  nnplug::register_pointwise(registrar, "gelu", nnplug::Pointwise::Gelu);
}
