// A good plugin in the same folder as the broken ones: it must load whatever the others do.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("good", "1.0.0", "activation:good_identity", 0) {
  registrar.add_activation("good_identity", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<nnplug::PointwiseActivation>("good_identity", nnplug::Pointwise::Identity);
  });
}
