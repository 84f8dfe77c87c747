// Loss 'mse' (PyTorch's MSELoss): mean over every element of (prediction - target)^2. On class labels the
// trainer compares the output with one-hot rows.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MeanSquaredError final : public Loss {
 public:
  std::string type() const override { return "mse"; }
  TargetKind target_kind() const override { return TargetKind::Values; }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    if (num_classes > 0 && prediction.numel() != num_classes)
      throw ShapeError("mse: the model outputs " + prediction.str() + " per sample but the one-hot targets have " +
                       std::to_string(num_classes) + " classes");
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    prediction.backend().run(op::MeanSquaredError{prediction, target, loss, dprediction});
  }
};

}  // namespace

NNPLUG_PLUGIN("mse", "0.1.0", "loss:mse", 0) {
  registrar.add_loss("mse", [](const Params& p) {
    p.check_unused();
    return std::make_unique<MeanSquaredError>();
  });
}
