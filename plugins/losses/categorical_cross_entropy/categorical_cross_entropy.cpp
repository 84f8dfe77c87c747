// Loss 'categorical_cross_entropy' (Keras' name): -log p_y on probabilities (a softmax output), mean over
// the batch. p_y is clamped to eps (1e-7, as Keras) so that log(0) never appears. Prefer softmax_cross_entropy
// on logits: it is exact where this one clamps. class_weights weigh each sample by its label.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("categorical_cross_entropy", "0.1.0", "loss:categorical_cross_entropy", 0) {
  registrar.add_loss("categorical_cross_entropy", [](const Params& p) {
    const double eps = p.number("eps", 1e-7, 0.0, 0.5);
    std::vector<double> weights = class_weights(p);
    p.check_unused();
    return std::make_unique<ClassIndexLoss>("categorical_cross_entropy", ClassLossFn::CrossEntropyOfProbabilities, eps, true, 0.0, std::move(weights));
  });
}
