// Layer 'dense' (PyTorch's Linear): y = x W^T + b, W stored [out, in] as PyTorch stores it.
// Parameters: units (required), bias (default true), in_features (optional; checked against the input),
// weight_init (default xavier_uniform), bias_init (default zeros). As PyTorch's Linear and Keras's Dense, it maps the
// last axis of a sample of any rank, [..., in] -> [..., units]: each step of a sequence, [T, in], the same way.
#include "nnplug/fused_relu.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Dense final : public Layer {
 public:
  explicit Dense(const Params& p)
      : units_(p.require_integer("units", 1)),
        in_features_(p.integer("in_features", 0, 1)),  // 0: not given (an explicit 0 is refused)
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.child("weight_init", "xavier_uniform")),
        bias_init_(p.child("bias_init", "zeros")) {
    p.check_unused();
  }

  std::string type() const override { return "dense"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() == 0 || input[input.rank() - 1] < 1) throw ShapeError(fmt::format("dense expects features on a last axis, got {}", input.str()));
    const std::int64_t in = input[input.rank() - 1];
    if (in_features_ && in != in_features_)
      throw ShapeError(fmt::format("dense expects {} features on the last axis (in_features), got {}", in_features_, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    output_ = input;
    output_[input.rank() - 1] = units_;
    weight_ = {"weight", ctx.backend.empty({units_, in}, dtype_), ctx.backend.empty({units_, in}, dtype_), true,
               weight_init_, in, units_};
    if (use_bias_)
      bias_ = {"bias", ctx.backend.empty({units_}, dtype_), ctx.backend.empty({units_}, dtype_), true, bias_init_,
               in, units_};
    return output_;
  }

  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  // A ReLU after this layer runs in the product's output pass.
  bool fuse_activation(const Activation& next) override { return relu_.take(next); }
  void leave_activation_gradient_to_next() override { relu_.leave_gradient_to_next(); }

  // The products see every sample's rows (its steps, for a sequence) as rows of one matrix: x (R, in), y (R, units).
  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    x_ = rows(x);
    ensure(y_, *backend_, output_.with_batch(x.dim(0)), dtype_);
    backend_->run(op::Gemm{.a = x_, .b = weight_.value, .c = rows(y_), .trans_b = true, .bias = use_bias_ ? bias_.value : Tensor(),
                           .epilogue = relu_.epilogue()});
    return y_;
  }

  const Tensor& backward(const Tensor& dy_out, bool need_input_grad) override {
    const Tensor dy = rows(relu_.gradient_before(y_, dy_out));
    // dW = dy^T x   [out, in];   db = sum over rows of dy;   dx = dy W   [R, in]
    backend_->run(op::Gemm{.a = dy, .b = x_, .c = weight_.grad, .trans_a = true});
    if (use_bias_) backend_->run(op::SumRows{dy, bias_.grad});
    gradients_written();  // data-parallel training sends them while dx is computed
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    ensure(dx_, *backend_, input_shape_, dtype_);
    backend_->run(op::Gemm{.a = dy, .b = weight_.value, .c = rows(dx_)});
    return dx_;
  }

 private:
  std::int64_t units_, in_features_;
  bool use_bias_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, input_shape_;
  Parameter weight_, bias_;
  FusedRelu relu_;
  Tensor x_, y_, dx_;  // x_: the input's rows

  // A sample's vectors along its last axis, for every sample, as the rows of one matrix.
  static Tensor rows(const Tensor& t) {
    const std::int64_t width = t.dim(t.rank() - 1);
    return t.reshape(Shape{t.numel() / width, width});
  }
};

}  // namespace

NNPLUG_PLUGIN("dense", "0.1.0", "layer:dense", 0) {
  registrar.add_layer("dense", [](const Params& p) { return std::make_unique<Dense>(p); });
}
