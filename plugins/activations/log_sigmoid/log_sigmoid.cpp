// Activation 'log_sigmoid' (PyTorch LogSigmoid, Keras 3's log_sigmoid): log(1 / (1 + e^-x)), computed as
// min(x, 0) - log(1 + e^-|x|) so that it neither overflows nor rounds to log(0).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("log_sigmoid", "0.1.0", "activation:log_sigmoid", 0) {
  nnplug::register_pointwise(registrar, "log_sigmoid", nnplug::Pointwise::LogSigmoid);
}
