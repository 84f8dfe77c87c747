// Layers 'global_avg_pool2d' and 'global_max_pool2d' (Keras GlobalAveragePooling2D / GlobalMaxPooling2D; torch
// AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1) then flatten), built from this one source as two plugins
// (NNPLUG_POOL_KIND): (N, C, H, W) -> (N, C), the mean or the maximum of each channel. Each is the pooling op with a
// window the size of the input, so a backend that pools (cuDNN) runs it too.
//
// Built as 'global_avg_pool1d' and 'global_max_pool1d' too (NNPLUG_1D; Keras GlobalAveragePooling1D /
// GlobalMaxPooling1D, torch AdaptiveAvgPool1d(1) / AdaptiveMaxPool1d(1) then flatten): (N, C, L) -> (N, C), or
// (N, L, C) -> (N, C) with "data_format": "channels_last" (Keras's default, as after an lstm's return_sequences).
// global_avg_pool1d also takes "mask_zero": true (NNPLUG_MASK_ZERO), which leaves the steps that are all zero (an
// embedding's padding) out of the mean, through an op of its own (masked_step_mean.hpp).
#include <optional>

#include "../shared/window_1d.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_POOL_KIND)
#define NNPLUG_POOL_KIND Average
#define NNPLUG_POOL_NAME "global_avg_pool2d"
#endif

#if defined(NNPLUG_MASK_ZERO)
#include "masked_step_mean.hpp"
#define NNPLUG_POOL_PROVIDES "op:masked_step_mean op:masked_step_mean_grad layer:" NNPLUG_POOL_NAME
#else
#define NNPLUG_POOL_PROVIDES "layer:" NNPLUG_POOL_NAME
#endif

namespace {

using namespace nnplug;

class GlobalPool2d final : public Layer {
 public:
  // mask_zero: the masked mean's op, where the spec asks for it.
  GlobalPool2d(const SequenceAxes& axes, std::optional<OpHandle> mask_zero) : axes_(axes), mask_zero_(std::move(mask_zero)) {}
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
    if (mask_zero_) mask_zero_->on(ctx.backend, ctx.dtype);  // refused now where no kernel runs
    return Shape{channels_};
  }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    if (mask_zero_) {
      x_ = x;
      ensure(y_, *backend_, Shape{x.dim(0), channels_}, dtype_);
      mask_zero_->on(x)({x}, {y_}, mask_attributes());
      return y_;
    }
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
    if (mask_zero_) {
      ensure(dx_out_, *backend_, input_shape_, dtype_);
      mask_zero_->on(x_).gradient()({x_, y_, dy}, {dx_out_}, mask_attributes());
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
  BoundOp::NamedValues mask_attributes() const { return {{"channels_last", std::int64_t{axes_.channels_last()}}}; }

  SequenceAxes axes_;
  std::optional<OpHandle> mask_zero_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t channels_ = 0;
  Window2d window_;
  Shape input_shape_, pooled_plane_;
  Tensor pooled_, argmax_, y_, dx_, dx_out_;  // argmax_: max pooling's only; dx_ as the op sees it, dx_out_ a view of it
  Tensor x_;                                  // mask_zero's input, which its gradient reads
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_POOL_NAME, "0.1.0", NNPLUG_POOL_PROVIDES, 0) {
  std::optional<OpHandle> mask_op;
#if defined(NNPLUG_MASK_ZERO)
  auto [mean, gradient] = masked_step_mean::schemas();
  mask_op = registrar.add_op(std::move(mean));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"masked_step_mean", "cpu"}, masked_step_mean::on_cpu);
  registrar.add_kernel({"masked_step_mean_grad", "cpu"}, masked_step_mean::gradient_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"masked_step_mean", "cuda"}, masked_step_mean::on_cuda);
  registrar.add_kernel({"masked_step_mean_grad", "cuda"}, masked_step_mean::gradient_on_cuda);
#endif
#endif
  registrar.add_layer(NNPLUG_POOL_NAME, [mask_op](const Params& p) {
    const SequenceAxes axes = kOneD ? SequenceAxes(p) : SequenceAxes();
    const bool mask_zero = mask_op && p.boolean("mask_zero", false);
    p.check_unused();
    return std::make_unique<GlobalPool2d>(axes, mask_zero ? mask_op : std::nullopt);
  });
}
