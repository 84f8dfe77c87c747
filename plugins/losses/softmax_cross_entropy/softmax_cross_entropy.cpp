// Loss 'softmax_cross_entropy' (PyTorch CrossEntropyLoss): fused softmax and negative log-likelihood on
// logits, computed with the log-sum-exp trick, mean over the batch. Targets are class indices. label_smoothing ε in
// [0, 1] (default 0) moves ε of the target's weight from the label to all C classes evenly, as PyTorch's (and Keras's
// CategoricalCrossentropy's) label_smoothing does. class_weights weigh each sample by its label (see op::ClassLoss).
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("softmax_cross_entropy", "0.1.0", "loss:softmax_cross_entropy", 0) {
  registrar.add_loss("softmax_cross_entropy", [](const Params& p) {
    const double label_smoothing = p.number("label_smoothing", 0.0, 0.0, 1.0);
    std::vector<double> weights = class_weights(p);
    p.check_unused();
    return std::make_unique<ClassIndexLoss>("softmax_cross_entropy", ClassLossFn::SoftmaxCrossEntropy, 1.0, true, label_smoothing, std::move(weights));
  });
}
