// Layer 'conv2d' (torch.nn.Conv2d): filters (required), kernel_size (required; int or [h, w]), stride 1, padding
// "valid" / "same" / int, dilation 1, groups 1, bias true, weight_init (he_normal; fan_in = C / groups kh kw, fan_out =
// filters kh kw, as PyTorch counts them) and bias_init (zeros). groups splits the channels as PyTorch's groups=
// (groups = C: depthwise). in_channels is optional: the input's channel count is taken from the layer below, and
// checked when given. Input and output are NCHW; the weight is [filters, C / groups, kh, kw] as PyTorch stores it.
#include <fmt/format.h>

#include "nnplug/fused_relu.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

namespace {

using namespace nnplug;

class Conv2dLayer final : public Layer {
 public:
  explicit Conv2dLayer(const Params& p)
      : filters_(p.require_integer("filters", 1)),
        spec_(WindowSpec::read(p, "kernel_size", {0, 0}, false)),
        in_channels_(p.integer("in_channels", 0, 1)),
        groups_(p.integer("groups", 1, 1)),
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.child("weight_init", "he_normal")),
        bias_init_(p.child("bias_init", "zeros")) {
    if (!p.has("kernel_size")) p.fail("kernel_size", "is required");
    if (filters_ % groups_) p.fail("groups", fmt::format("must divide filters ({}), got {}", filters_, groups_));
    p.check_unused();
  }
  std::string type() const override { return "conv2d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("conv2d expects (channels, height, width) per sample, got {}", input.str()));
    if (in_channels_ && input[0] != in_channels_)
      throw ShapeError(fmt::format("conv2d expects {} input channels (in_channels), got {}", in_channels_, input.str()));
    if (input[0] % groups_)
      throw ShapeError(fmt::format("conv2d: groups {} does not divide the input's {} channels (input {})", groups_, input[0], input.str()));
    const auto [oh, ow] = spec_.output(input);
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const auto& g = spec_.window;
    const std::int64_t c = input[0] / groups_, fan_in = c * g.kernel_h * g.kernel_w, fan_out = filters_ * g.kernel_h * g.kernel_w;
    const Shape w{filters_, c, g.kernel_h, g.kernel_w};
    weight_ = {"weight", ctx.backend.empty(w, dtype_), ctx.backend.empty(w, dtype_), true, weight_init_, fan_in, fan_out};
    if (use_bias_)
      bias_ = {"bias", ctx.backend.empty({filters_}, dtype_), ctx.backend.empty({filters_}, dtype_), true, bias_init_, fan_in, fan_out};
    output_ = Shape{filters_, oh, ow};
    return output_;
  }
  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  // A ReLU after this layer runs in the convolution's output pass.
  bool fuse_activation(const Activation& next) override { return relu_.take(next); }
  void leave_activation_gradient_to_next() override { relu_.leave_gradient_to_next(); }

  // The output in the layout the backend computes convolutions in (channel blocks on the CPU backend with
  // oneDNN), which the next convolution reads without reordering it; the input in any layout the backend offers.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    const Shape y = output_.with_batch(x.dim(0));
    ensure(y_, *backend_, y, dtype_, backend_->convolution_layout(x.shape(), y, dtype_));
    backend_->run(op::Conv2d{x, weight_.value, use_bias_ ? bias_.value : Tensor(), y_, spec_.window, relu_.epilogue(), kFunctionDefault, groups_});
    return y_;
  }
  const Tensor& backward(const Tensor& dy_out, bool need_input_grad) override {
    if (need_input_grad) ensure(dx_, *backend_, x_.shape(), dtype_, x_.layout());
    else dx_ = Tensor();
    const Tensor& dy = relu_.gradient_before(y_, dy_out);
    backend_->run(op::Conv2dGrad{x_, weight_.value, dy, dx_, weight_.grad, use_bias_ ? bias_.grad : Tensor(), spec_.window, groups_});
    return dx_;
  }

 private:
  std::int64_t filters_;
  WindowSpec spec_;
  std::int64_t in_channels_;
  std::int64_t groups_;
  bool use_bias_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_;
  Parameter weight_, bias_;
  FusedRelu relu_;
  Tensor x_, y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("conv2d", "0.1.0", "layer:conv2d", 0) {
  registrar.add_layer("conv2d", [](const Params& p) { return std::make_unique<Conv2dLayer>(p); });
}
