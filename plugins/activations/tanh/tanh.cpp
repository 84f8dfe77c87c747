// Activation 'tanh'.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("tanh", "0.1.0", "activation:tanh", 0) {
  nnplug::register_pointwise(registrar, "tanh", nnplug::Pointwise::Tanh);
}
