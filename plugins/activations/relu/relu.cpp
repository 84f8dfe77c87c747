// Activation 'relu', computed natively by every backend.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("relu", "0.1.0", "activation:relu", 0) {
  registrar.add_activation("relu", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<nnplug::PointwiseActivation>("relu", nnplug::Pointwise::Relu);
  });
}
