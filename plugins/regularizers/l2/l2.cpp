// Regularizer 'l2': penalty lambda / 2 sum w^2, gradient lambda w. lambda is PyTorch's weight_decay; Keras' l2(k)
// is lambda = 2k. lambda >= 0 is required.
#include "nnplug/plugin.hpp"
#include "nnplug/weight_penalty.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("l2", "0.1.0", "regularizer:l2", 0) {
  registrar.add_regularizer("l2", [](const Params& p) {
    const double lambda = p.require_number("lambda", 0.0);
    p.check_unused();
    return std::make_unique<WeightPenalty>("l2", 0.0, lambda);
  });
}
