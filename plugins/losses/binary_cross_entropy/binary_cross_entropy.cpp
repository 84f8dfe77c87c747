// Loss 'binary_cross_entropy' (PyTorch BCEWithLogitsLoss): from logits, stable for any logit, mean over
// every element. With one output unit and two classes the target is the label (0 or 1). pos_weight (one per output)
// weighs the positive term, as PyTorch's.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("binary_cross_entropy", "0.1.0", "loss:binary_cross_entropy", 0) {
  registrar.add_loss("binary_cross_entropy", [](const Params& p) {
    std::vector<double> weights = pos_weight(p);
    p.check_unused();
    return std::make_unique<ValueLoss>("binary_cross_entropy", ElementwiseLossFn::BceWithLogits, 1.0, std::move(weights));
  });
}
