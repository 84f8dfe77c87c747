// Layers 'global_avg_pool2d' and 'global_max_pool2d' (Keras GlobalAveragePooling2D / GlobalMaxPooling2D; torch
// AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1) then flatten), built from this one source as two plugins
// (NNPLUG_POOL_KIND): (N, C, H, W) -> (N, C), the mean or the maximum of each channel. Each is the pooling op with a
// window the size of the input, so a backend that pools (cuDNN) runs it too.
//
// Built as 'global_avg_pool1d' and 'global_max_pool1d' too (NNPLUG_1D; Keras GlobalAveragePooling1D /
// GlobalMaxPooling1D, torch AdaptiveAvgPool1d(1) / AdaptiveMaxPool1d(1) then flatten): (N, C, L) -> (N, C), or
// (N, L, C) -> (N, C) with "data_format": "channels_last" (Keras's default, as after an lstm's return_sequences).
#include "../shared/window_1d.hpp"
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_POOL_KIND)
#define NNPLUG_POOL_KIND Average
#define NNPLUG_POOL_NAME "global_avg_pool2d"
#endif

namespace {

using namespace nnplug;

class GlobalPool2d final : public Layer {
 public:
  explicit GlobalPool2d(const SequenceAxes& axes) : axes_(axes) {}
  std::string type() const override { return NNPLUG_POOL_NAME; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    require_sample_rank(input, NNPLUG_POOL_NAME);
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const Shape plane = kOneD ? axes_.plane(input.with_batch(1)).without_batch() : input;
    channels_ = kOneD ? axes_.channels(input) : input[0];
    window_ = kOneD ? axes_.along_length({1, axes_.length(input), 1, axes_.length(input), 0, 0, 1, 1})
                    : Window2d{input[1], input[2], input[1], input[2], 0, 0, 1, 1};
    pooled_plane_ = Shape{plane[0], window_.out_h(plane[1]), window_.out_w(plane[2])};
    return Shape{channels_};
  }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    ensure(pooled_, *backend_, pooled_plane_.with_batch(x.dim(0)), dtype_);
    if (kind == PoolKind::Max) ensure(argmax_, *backend_, pooled_.shape(), DType::Int32);
    backend_->run(op::Pool2d{plane_view(x), pooled_, argmax_, kind, window_});
    y_ = pooled_.reshape(Shape{x.dim(0), channels_});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_out_ = Tensor();
      return dx_out_;
    }
    ensure(dx_, *backend_, kOneD ? axes_.plane(input_shape_) : input_shape_, dtype_);
    backend_->run(op::Pool2dGrad{dy.reshape(pooled_.shape()), argmax_, dx_, kind, window_});
    dx_out_ = dx_.reshape(input_shape_);
    return dx_out_;
  }

 private:
  static constexpr PoolKind kind = PoolKind::NNPLUG_POOL_KIND;
  Tensor plane_view(const Tensor& t) const { return kOneD ? t.reshape(axes_.plane(t.shape())) : t; }

  SequenceAxes axes_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t channels_ = 0;
  Window2d window_;
  Shape input_shape_, pooled_plane_;
  Tensor pooled_, argmax_, y_, dx_, dx_out_;  // argmax_: max pooling's only; dx_ as the op sees it, dx_out_ a view of it
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_POOL_NAME, "0.1.0", "layer:" NNPLUG_POOL_NAME, 0) {
  registrar.add_layer(NNPLUG_POOL_NAME, [](const Params& p) {
    const SequenceAxes axes = kOneD ? SequenceAxes(p) : SequenceAxes();
    p.check_unused();
    return std::make_unique<GlobalPool2d>(axes);
  });
}
