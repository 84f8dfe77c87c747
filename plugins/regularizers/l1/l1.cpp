// Regularizer 'l1': penalty lambda sum |w|, gradient lambda sign(w) (0 at 0). lambda >= 0 is required.
#include "nnplug/plugin.hpp"
#include "nnplug/weight_penalty.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("l1", "0.1.0", "regularizer:l1", 0) {
  registrar.add_regularizer("l1", [](const Params& p) {
    const double lambda = p.require_number("lambda", 0.0);
    p.check_unused();
    return std::make_unique<WeightPenalty>("l1", lambda, 0.0);
  });
}
