// Loss 'categorical_focal_cross_entropy' (Lin et al. 2017's focal loss over a softmax; Keras's
// CategoricalFocalCrossentropy): softmax cross-entropy from logits with each class's term multiplied by
// alpha (1 - p_c)^gamma, so that samples the model already classifies well weigh little and the hard ones most, as for
// a heavily imbalanced set of classes. "gamma" (2) sets how much; 0 with "alpha" 1 is softmax_cross_entropy. "alpha"
// (0.25, Keras's) scales every class alike. The sum over classes, mean over the batch. The targets are class labels
// (one-hot by the trainer) or a distribution per sample. This plugin's op softmax_focal_loss computes it
// (sample_loss_op.hpp), from softmax_focal.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"
#include "softmax_focal.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("categorical_focal_cross_entropy", "0.1.0", "op:softmax_focal_loss loss:categorical_focal_cross_entropy", 0) {
  const auto targets_as_distributions = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) { losses::as_distributions(inputs[1]); };
  auto op = losses::add_sample_loss_op<losses::SoftmaxFocal>(registrar, "softmax_focal_loss", {{"gamma", 2.0}, {"alpha", 0.25}},
                                                             targets_as_distributions);
  registrar.add_loss("categorical_focal_cross_entropy", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double gamma = p.number("gamma", 2.0, 0.0, 100.0), alpha = p.number("alpha", 0.25, 0.0, 1e6);
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("categorical_focal_cross_entropy", op, OutputLink::Softmax,
                                                    BoundOp::NamedValues{{"gamma", gamma}, {"alpha", alpha}});
  });
}
