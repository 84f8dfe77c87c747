// Activation 'identity': y = x (a linear output, explicit in a spec).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("identity", "0.1.0", "activation:identity", 0) {
  nnplug::register_pointwise(registrar, "identity", nnplug::Pointwise::Identity);
}
