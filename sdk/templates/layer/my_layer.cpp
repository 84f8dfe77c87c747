// Template layer 'my_layer': a fully connected layer y = x W^T + b with `units` outputs (inputs of any shape are
// taken flat). Shows parameters with their initializers, shape inference at build time, and forward and
// backward as backend ops.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyLayer final : public Layer {
 public:
  explicit MyLayer(const Params& p)
      : units_(p.require_integer("units", 1)), weight_init_(p.child("weight_init", "xavier_uniform")) {
    p.check_unused();
  }
  std::string type() const override { return "my_layer"; }

  // Called once with the per-sample input shape; throws ShapeError for an input it cannot take.
  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    in_ = input.numel();
    const Shape w{units_, in_};
    // value, grad, trainable, initializer, fan_in, fan_out: the model initialises it from the seed.
    weight_ = {"weight", ctx.backend.empty(w, dtype_), ctx.backend.empty(w, dtype_), true, weight_init_, in_, units_};
    bias_ = {"bias", ctx.backend.empty({units_}, dtype_), ctx.backend.empty({units_}, dtype_), true, Params("bias", "zeros"), in_, units_};
    return Shape{units_};
  }
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x.reshape(Shape{x.dim(0), in_});
    ensure(y_, *backend_, Shape{x.dim(0), units_}, dtype_);
    backend_->run(op::Gemm{.a = x_, .b = weight_.value, .c = y_, .trans_b = true});  // y = x W^T
    backend_->run(op::AddRowVector{y_, bias_.value, y_});                             // y += b
    input_shape_ = x.shape();
    return y_;
  }
  // Writes the parameters' gradients, and returns dL/dx when asked.
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    backend_->run(op::Gemm{.a = dy, .b = x_, .c = weight_.grad, .trans_a = true});  // dW = dy^T x
    backend_->run(op::SumRows{dy, bias_.grad});                                      // db = sum over the batch
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    ensure(dx_, *backend_, input_shape_, dtype_);
    backend_->run(op::Gemm{.a = dy, .b = weight_.value, .c = dx_.reshape(Shape{dy.dim(0), in_})});  // dx = dy W
    return dx_;
  }

 private:
  std::int64_t units_, in_ = 0;
  Params weight_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Parameter weight_, bias_;
  Shape input_shape_;
  Tensor x_, y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("my_layer", "0.1.0", "layer:my_layer", 0) {
  registrar.add_layer("my_layer", [](const Params& p) { return std::make_unique<MyLayer>(p); });
}
