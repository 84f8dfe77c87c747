// Activation 'celu' (PyTorch CELU): max(0, x) + min(0, alpha (e^(x / alpha) - 1)); alpha 1 (> 0), where it is ELU.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("celu", "0.1.0", "activation:celu", 0) {
  nnplug::register_pointwise(registrar, "celu", nnplug::Pointwise::Celu, {"alpha", 1.0, 0.0, true});
}
