// Activation 'softplus' (PyTorch Softplus): log(1 + e^(beta x)) / beta, linear where beta x > 20; beta 1.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("softplus", "0.1.0", "activation:softplus", 0) {
  nnplug::register_pointwise(registrar, "softplus", nnplug::Pointwise::Softplus, {"beta", 1.0, 0.0, true});
}
