// Layers 'max_pool2d' and 'avg_pool2d' (torch.nn.MaxPool2d / AvgPool2d), built from this one source as two
// plugins (NNPLUG_POOL_KIND): pool_size 2 (int or [h, w]), stride = pool_size, padding 0. NCHW, per channel.
// Average pooling divides by the whole window, padding included (PyTorch's count_include_pad).
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

#if !defined(NNPLUG_POOL_KIND)
#define NNPLUG_POOL_KIND Max
#define NNPLUG_POOL_NAME "max_pool2d"
#endif

namespace {

using namespace nnplug;

class Pool2dLayer final : public Layer {
 public:
  explicit Pool2dLayer(const Params& p) : spec_(WindowSpec::read(p, "pool_size", {2, 2}, true)) { p.check_unused(); }
  std::string type() const override { return NNPLUG_POOL_NAME; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("{} expects (channels, height, width) per sample, got {}", NNPLUG_POOL_NAME, input.str()));
    const auto [oh, ow] = spec_.output(input);
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    output_ = Shape{input[0], oh, ow};
    return output_;
  }

  // The ReLU before max pooling (the CNNs' conv, ReLU, pool): its gradient joins the pass that routes dy, which
  // masks it by the window's maximum, so the convolution's own ReLU-gradient pass over the 4x larger input goes.
  bool take_input_activation_gradient(const PointwiseFunction& f) override {
    input_relu_ = kind == PoolKind::Max && f.fn == Pointwise::Relu;
    return input_relu_;
  }

  bool takes_any_layout() const override { return true; }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    layout_ = x.layout();
    ensure(y_, *backend_, output_.with_batch(x.dim(0)), dtype_, layout_);
    if (kind == PoolKind::Max) ensure(argmax_, *backend_, y_.shape(), DType::Int32, layout_);
    backend_->run(op::Pool2d{x, y_, kind == PoolKind::Max ? argmax_ : Tensor(), kind, spec_.window});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    backend_->run(op::Pool2dGrad{dy, kind == PoolKind::Max ? argmax_ : Tensor(), ensure(dx_, *backend_, input_shape_, dtype_, layout_), kind,
                                 spec_.window, input_relu_ ? Pointwise::Relu : Pointwise::Identity, y_});
    return dx_;
  }

 private:
  static constexpr PoolKind kind = PoolKind::NNPLUG_POOL_KIND;
  WindowSpec spec_;
  bool input_relu_ = false;  // backward takes dx through the ReLU before this layer (take_input_activation_gradient)
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, input_shape_;
  Layout layout_ = Layout::RowMajor;  // the input's, which the output, argmax and dx keep
  Tensor y_, argmax_, dx_;
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_POOL_NAME, "0.1.0", "layer:" NNPLUG_POOL_NAME, 0) {
  registrar.add_layer(NNPLUG_POOL_NAME, [](const Params& p) { return std::make_unique<Pool2dLayer>(p); });
}
