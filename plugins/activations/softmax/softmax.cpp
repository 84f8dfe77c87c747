// Activation 'softmax' over the features of each sample, numerically stable (the backend subtracts the row max).
// For training a classifier prefer the fused softmax_cross_entropy loss on logits.
#include "nnplug/plugin.hpp"

namespace {

class Softmax final : public nnplug::Activation {
 public:
  std::string type() const override { return "softmax"; }
  void check(const nnplug::Shape& input) const override {
    if (input.rank() != 1) throw nnplug::ShapeError(fmt::format("softmax needs a vector per sample, got {}", input.str()));
  }
  void forward(const nnplug::Tensor& x, const nnplug::Tensor& y) override {
    x.backend().run(nnplug::op::Softmax{x, y});
  }
  void backward(const nnplug::Tensor&, const nnplug::Tensor& y, const nnplug::Tensor& dy,
                const nnplug::Tensor& dx) override {
    y.backend().run(nnplug::op::SoftmaxGrad{y, dy, dx});
  }
};

}  // namespace

NNPLUG_PLUGIN("softmax", "0.1.0", "activation:softmax", 0) {
  registrar.add_activation("softmax", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<Softmax>();
  });
}
