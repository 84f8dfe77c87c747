// Template loss 'my_loss': half the mean squared error, L = sum((p - t)^2) / (2 N) for N samples, with targets
// shaped like the predictions (the trainer one-hot encodes class labels for it). Built from backend ops.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyLoss final : public Loss {
 public:
  std::string type() const override { return "my_loss"; }
  TargetKind target_kind() const override { return TargetKind::Values; }

  // loss (1 element) = L; dprediction (when defined) = dL/dp = (p - t) / N.
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    Backend& be = prediction.backend();
    const double n = static_cast<double>(prediction.dim(0));
    ensure(diff_, be, prediction.shape(), prediction.dtype());
    be.run(op::Copy{prediction, diff_});
    be.run(op::Axpby{target, diff_, -1.0, 1.0});  // diff = p - t
    be.run(op::SumSquares{diff_, loss});
    be.run(op::Axpby{loss, loss, 0.5 / n, 0.0});
    if (dprediction.defined()) be.run(op::Axpby{diff_, dprediction, 1.0 / n, 0.0});
  }

 private:
  Tensor diff_;
};

}  // namespace

NNPLUG_PLUGIN("my_loss", "0.1.0", "loss:my_loss", 0) {
  registrar.add_loss("my_loss", [](const Params& p) {
    p.check_unused();
    return std::make_unique<MyLoss>();
  });
}
