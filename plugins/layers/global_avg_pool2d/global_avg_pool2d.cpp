// Layers 'global_avg_pool2d' and 'global_max_pool2d' (Keras GlobalAveragePooling2D / GlobalMaxPooling2D; torch
// AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1) then flatten), built from this one source as two plugins
// (NNPLUG_POOL_KIND): (N, C, H, W) -> (N, C), the mean or the maximum of each channel. Each is the pooling op with a
// window the size of the input, so a backend that pools (cuDNN) runs it too.
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_POOL_KIND)
#define NNPLUG_POOL_KIND Average
#define NNPLUG_POOL_NAME "global_avg_pool2d"
#endif

namespace {

using namespace nnplug;

class GlobalPool2d final : public Layer {
 public:
  std::string type() const override { return NNPLUG_POOL_NAME; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("{} expects (channels, height, width) per sample, got {}", NNPLUG_POOL_NAME, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    channels_ = input[0];
    window_ = {input[1], input[2], input[1], input[2], 0, 0, 1, 1};
    return Shape{channels_};
  }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    ensure(pooled_, *backend_, Shape{x.dim(0), channels_, 1, 1}, dtype_);
    if (kind == PoolKind::Max) ensure(argmax_, *backend_, pooled_.shape(), DType::Int32);
    backend_->run(op::Pool2d{x, pooled_, argmax_, kind, window_});
    y_ = pooled_.reshape(Shape{x.dim(0), channels_});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    backend_->run(op::Pool2dGrad{dy.reshape(pooled_.shape()), argmax_, ensure(dx_, *backend_, input_shape_, dtype_), kind, window_});
    return dx_;
  }

 private:
  static constexpr PoolKind kind = PoolKind::NNPLUG_POOL_KIND;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t channels_ = 0;
  Window2d window_;
  Shape input_shape_;
  Tensor pooled_, argmax_, y_, dx_;  // argmax_: max pooling's only
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_POOL_NAME, "0.1.0", "layer:" NNPLUG_POOL_NAME, 0) {
  registrar.add_layer(NNPLUG_POOL_NAME, [](const Params& p) {
    p.check_unused();
    return std::make_unique<GlobalPool2d>();
  });
}
