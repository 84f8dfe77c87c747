// Built twice (twin_a, twin_b): two libraries providing the same name with the same priority. The first in
// file-name order loads; the second is rejected as a duplicate.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN(TWIN_NAME, "1.0.0", "activation:twin", 0) {
  registrar.add_activation("twin", [](const nnplug::Params&) {
    return std::make_unique<nnplug::PointwiseActivation>("twin", nnplug::Pointwise::Tanh);
  });
}
