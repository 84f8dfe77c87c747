// Activation 'softsign' (PyTorch Softsign, Keras softsign): x / (1 + |x|), a tanh-like curve with polynomial tails.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("softsign", "0.1.0", "activation:softsign", 0) {
  nnplug::register_pointwise(registrar, "softsign", nnplug::Pointwise::Softsign);
}
