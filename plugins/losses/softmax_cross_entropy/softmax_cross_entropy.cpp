// Loss 'softmax_cross_entropy' (PyTorch CrossEntropyLoss): fused softmax and negative log-likelihood on
// logits, computed with the log-sum-exp trick, mean over the batch. Targets are class indices.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("softmax_cross_entropy", "0.1.0", "loss:softmax_cross_entropy", 0) {
  registrar.add_loss("softmax_cross_entropy", [](const Params& p) {
    p.check_unused();
    return std::make_unique<ClassIndexLoss>("softmax_cross_entropy", ClassLossFn::SoftmaxCrossEntropy);
  });
}
