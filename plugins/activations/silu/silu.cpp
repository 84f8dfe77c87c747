// Activations 'silu' and its other name 'swish' (PyTorch SiLU): x * sigmoid(x).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("silu", "0.1.0", "activation:silu activation:swish", 0) {
  nnplug::register_pointwise(registrar, "silu", nnplug::Pointwise::Silu);
  nnplug::register_pointwise(registrar, "swish", nnplug::Pointwise::Silu);
}
