// Activation 'tanh', computed natively by every backend.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("tanh", "0.1.0", "activation:tanh", 0) {
  registrar.add_activation("tanh", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<nnplug::PointwiseActivation>("tanh", nnplug::Pointwise::Tanh);
  });
}
