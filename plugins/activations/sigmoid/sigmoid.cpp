// Activation 'sigmoid', computed natively by every backend.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("sigmoid", "0.1.0", "activation:sigmoid", 0) {
  registrar.add_activation("sigmoid", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<nnplug::PointwiseActivation>("sigmoid", nnplug::Pointwise::Sigmoid);
  });
}
