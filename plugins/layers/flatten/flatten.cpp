// Layer 'flatten' (torch.nn.Flatten): (N, C, H, W) -> (N, C * H * W), a view of the same memory in both directions.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Flatten final : public Layer {
 public:
  std::string type() const override { return "flatten"; }
  Shape build(const Shape& input, const BuildContext&) override { return Shape{input.numel()}; }
  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    y_ = x.reshape(Shape{x.dim(0), x.numel() / x.dim(0)});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    dx_ = need_input_grad ? dy.reshape(input_shape_) : Tensor();
    return dx_;
  }

 private:
  Shape input_shape_;
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("flatten", "0.1.0", "layer:flatten", 0) {
  registrar.add_layer("flatten", [](const Params& p) {
    p.check_unused();
    return std::make_unique<Flatten>();
  });
}
