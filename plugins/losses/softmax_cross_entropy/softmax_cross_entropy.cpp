// Loss 'softmax_cross_entropy' (PyTorch's CrossEntropyLoss): fused softmax and negative log-likelihood on logits,
// computed with the log-sum-exp trick, mean over the batch. Targets are class indices.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class SoftmaxCrossEntropy final : public Loss {
 public:
  std::string type() const override { return "softmax_cross_entropy"; }
  TargetKind target_kind() const override { return TargetKind::ClassIndex; }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    if (prediction.rank() != 1 || (num_classes > 0 && prediction[0] != num_classes))
      throw ShapeError("softmax_cross_entropy: the model outputs " + prediction.str() + " per sample but the data has " +
                       std::to_string(num_classes) + " classes; the last layer needs " + std::to_string(num_classes) +
                       " units");
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    prediction.backend().run(op::SoftmaxCrossEntropy{prediction, target, loss, dprediction});
  }
};

}  // namespace

NNPLUG_PLUGIN("softmax_cross_entropy", "0.1.0", "loss:softmax_cross_entropy", 0) {
  registrar.add_loss("softmax_cross_entropy", [](const Params& p) {
    p.check_unused();
    return std::make_unique<SoftmaxCrossEntropy>();
  });
}
