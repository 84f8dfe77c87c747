// Layer 'rescaling' (Keras's Rescaling): y = scale * x + offset, element-wise, with nothing to train. It makes a
// preprocessing step part of the model (scale 1/255 takes pixels of 0 to 255 to [0, 1]; scale 1/127.5 and offset -1
// to [-1, 1]), so that a saved model takes raw samples in predict as it did in training. The gradient is scale * dy.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Rescaling final : public Layer {
 public:
  explicit Rescaling(const Params& p) : scale_(p.require_number("scale")), offset_(p.number("offset", 0.0)) { p.check_unused(); }
  std::string type() const override { return "rescaling"; }
  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    return input;
  }
  // Element-wise: a tensor in channel blocks is rescaled where it lies.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward(const Tensor& x) override {
    affine(x, ensure(y_, *backend_, x.shape(), dtype_, x.layout()), offset_);
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    affine(dy, ensure(dx_, *backend_, dy.shape(), dtype_, dy.layout()), 0.0);
    return dx_;
  }

 private:
  // out = scale * in + constant; out is filled first, as Axpby reads it (a NaN left in it would stay).
  void affine(const Tensor& in, const Tensor& out, double constant) {
    backend_->run(op::Fill{out, constant});
    backend_->run(op::Axpby{in, out, scale_, 1.0});
  }

  double scale_, offset_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("rescaling", "0.1.0", "layer:rescaling", 0) {
  registrar.add_layer("rescaling", [](const Params& p) { return std::make_unique<Rescaling>(p); });
}
