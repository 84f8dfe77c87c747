// Regularizer 'elastic' (elastic net): l1 sum |w| + l2 / 2 sum w^2, both strengths >= 0 (default 0).
#include "nnplug/plugin.hpp"
#include "nnplug/weight_penalty.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("elastic", "0.1.0", "regularizer:elastic", 0) {
  registrar.add_regularizer("elastic", [](const Params& p) {
    const double l1 = p.number("l1", 0.0, 0.0), l2 = p.number("l2", 0.0, 0.0);
    p.check_unused();
    return std::make_unique<WeightPenalty>("elastic", l1, l2);
  });
}
