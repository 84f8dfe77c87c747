// Activation 'elu' (PyTorch ELU): x if x > 0 else alpha (e^x - 1); alpha 1.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("elu", "0.1.0", "activation:elu", 0) {
  nnplug::register_pointwise(registrar, "elu", nnplug::Pointwise::Elu, {"alpha", 1.0, 0.0});
}
