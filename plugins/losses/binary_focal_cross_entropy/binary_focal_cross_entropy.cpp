// Loss 'binary_focal_cross_entropy' (Lin et al. 2017, "Focal Loss for Dense Object Detection"; torchvision's
// sigmoid_focal_loss, Keras's BinaryFocalCrossentropy): binary_cross_entropy from logits with each element's term
// multiplied by (1 - p_t)^gamma, p_t the probability the model gives the element's target, so that the many easy
// examples of a heavily imbalanced problem (background, the common class) weigh little and the hard ones most. "gamma"
// (2) sets how much; 0 is plain cross-entropy. "alpha" (0.25, torchvision's) weighs positive targets by alpha and
// negative ones by 1 - alpha; a negative alpha weighs none (Keras's default, apply_class_balancing false). The mean
// over every element, as torchvision's reduction="mean". Targets are 0 and 1, or soft labels between; one output
// unit takes two classes' labels, as binary_cross_entropy. This plugin's op binary_focal_loss computes it
// (sample_loss_op.hpp), from focal_element.hpp on the CPU and the GPU alike.
#include <cmath>

#include "../shared/sample_loss_op.hpp"
#include "focal_element.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("binary_focal_cross_entropy", "0.1.0", "op:binary_focal_loss loss:binary_focal_cross_entropy", 0) {
  // plugin-check's random normal targets as soft labels in (0, 1).
  const auto soft_labels = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) {
    for (double& t : inputs[1].values) t = 1.0 / (1.0 + std::exp(-t));
  };
  auto op = losses::add_sample_loss_op<losses::ElementMean<losses::FocalElement>>(registrar, "binary_focal_loss",
                                                                                   {{"gamma", 2.0}, {"alpha", 0.25}}, soft_labels);
  registrar.add_loss("binary_focal_cross_entropy", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double gamma = p.number("gamma", 2.0, 0.0, 100.0), alpha = p.number("alpha", 0.25, -1.0, 1.0);
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("binary_focal_cross_entropy", op, OutputLink::Sigmoid,
                                                    BoundOp::NamedValues{{"gamma", gamma}, {"alpha", alpha}});
  });
}
