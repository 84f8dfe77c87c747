// Layers 'max_pool2d' and 'avg_pool2d' (torch.nn.MaxPool2d / AvgPool2d), built from this one source as two
// plugins (NNPLUG_POOL_KIND): pool_size 2 (int or [h, w]), stride = pool_size, padding 0. NCHW, per channel.
// Average pooling divides by the whole window, padding included (PyTorch's count_include_pad). padding is at most
// half the window, as PyTorch asks.
//
// Built as 'max_pool1d' and 'avg_pool1d' too (NNPLUG_1D; torch.nn.MaxPool1d / AvgPool1d, Keras MaxPooling1D /
// AveragePooling1D): samples (C, L), or (L, C) with "data_format": "channels_last"; sizes are numbers.
#include "../shared/window_1d.hpp"
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
  explicit Pool2dLayer(const Params& p)
      : spec_(kOneD ? read_window_1d(p, "pool_size", 2, true) : WindowSpec::read(p, "pool_size", {2, 2}, true)),
        axes_(kOneD ? SequenceAxes(p) : SequenceAxes()),
        window_(axes_.along_length(spec_.window)) {
    // PyTorch's rule: a window lying wholly in the padding would pool nothing (a maximum of -inf).
    const Window2d& g = spec_.window;
    const std::int64_t span_h = g.dilation_h * (g.kernel_h - 1) + 1, span_w = g.dilation_w * (g.kernel_w - 1) + 1;
    if (2 * g.pad_h > span_h || 2 * g.pad_w > span_w)
      p.fail("padding", kOneD ? fmt::format("must be at most half the pool size (with dilation) {}, got {}", span_w, g.pad_w)
                              : fmt::format("must be at most half the pool size (with dilation) [{}, {}], got [{}, {}]", span_h, span_w, g.pad_h, g.pad_w));
    p.check_unused();
  }
  std::string type() const override { return NNPLUG_POOL_NAME; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    require_sample_rank(input, NNPLUG_POOL_NAME);
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    if (kOneD) {
      output_ = axes_.sample(axes_.channels(input), output_length(spec_, axes_.length(input)));
    } else {
      const auto [oh, ow] = spec_.output(input);
      output_ = Shape{input[0], oh, ow};
    }
    return output_;
  }

  // The ReLU before max pooling (the CNNs' conv, ReLU, pool): its gradient joins the pass that routes dy, which
  // masks it by the window's maximum, so the convolution's own ReLU-gradient pass over the 4x larger input goes.
  bool take_input_activation_gradient(const PointwiseFunction& f) override {
    input_relu_ = kind == PoolKind::Max && f.fn == Pointwise::Relu;
    return input_relu_;
  }

  // Sequences stay row-major: their views as planes need it.
  bool takes_any_layout() const override { return !kOneD; }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    layout_ = x.layout();
    const Shape y = output_.with_batch(x.dim(0));
    ensure(y_, *backend_, plane(y), dtype_, layout_);
    if (kind == PoolKind::Max) ensure(argmax_, *backend_, y_.shape(), DType::Int32, layout_);
    backend_->run(op::Pool2d{plane_view(x), y_, kind == PoolKind::Max ? argmax_ : Tensor(), kind, window_});
    out_ = y_.reshape(y);
    return out_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_out_ = Tensor();
      return dx_out_;
    }
    backend_->run(op::Pool2dGrad{plane_view(dy), kind == PoolKind::Max ? argmax_ : Tensor(), ensure(dx_, *backend_, plane(input_shape_), dtype_, layout_),
                                 kind, window_, input_relu_ ? Pointwise::Relu : Pointwise::Identity, y_});
    dx_out_ = dx_.reshape(input_shape_);
    return dx_out_;
  }

 private:
  static constexpr PoolKind kind = PoolKind::NNPLUG_POOL_KIND;
  // A batch as the 2-D op sees it: a sequence's is a plane.
  Shape plane(const Shape& batch) const { return kOneD ? axes_.plane(batch) : batch; }
  Tensor plane_view(const Tensor& t) const { return kOneD ? t.reshape(axes_.plane(t.shape())) : t; }

  WindowSpec spec_;  // a sequence's window along the plane's width, as read
  SequenceAxes axes_;
  Window2d window_;  // the op's
  bool input_relu_ = false;  // backward takes dx through the ReLU before this layer (take_input_activation_gradient)
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, input_shape_;
  Layout layout_ = Layout::RowMajor;  // the input's, which the output, argmax and dx keep
  Tensor y_, argmax_, dx_;  // as the 2-D op sees them
  Tensor out_, dx_out_;      // y and dx as the layers around see them: views of y_ and dx_
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_POOL_NAME, "0.1.0", "layer:" NNPLUG_POOL_NAME, 0) {
  registrar.add_layer(NNPLUG_POOL_NAME, [](const Params& p) { return std::make_unique<Pool2dLayer>(p); });
}
