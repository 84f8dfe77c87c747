// Layer 'global_avg_pool2d' (Keras GlobalAveragePooling2D; torch AdaptiveAvgPool2d(1) then flatten):
// (N, C, H, W) -> (N, C), the mean of each channel. It is the average pooling op with a window the size of the
// input, so a backend that pools (cuDNN) runs it too.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class GlobalAvgPool2d final : public Layer {
 public:
  std::string type() const override { return "global_avg_pool2d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("global_avg_pool2d expects (channels, height, width) per sample, got {}", input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    channels_ = input[0];
    window_ = {input[1], input[2], input[1], input[2], 0, 0, 1, 1};
    return Shape{channels_};
  }

  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    ensure(pooled_, *backend_, Shape{x.dim(0), channels_, 1, 1}, dtype_);
    backend_->run(op::Pool2d{x, pooled_, Tensor(), PoolKind::Average, window_});
    y_ = pooled_.reshape(Shape{x.dim(0), channels_});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    backend_->run(op::Pool2dGrad{dy.reshape(pooled_.shape()), Tensor(), ensure(dx_, *backend_, input_shape_, dtype_),
                                 PoolKind::Average, window_});
    return dx_;
  }

 private:
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t channels_ = 0;
  Window2d window_;
  Shape input_shape_;
  Tensor pooled_, y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("global_avg_pool2d", "0.1.0", "layer:global_avg_pool2d", 0) {
  registrar.add_layer("global_avg_pool2d", [](const Params& p) {
    p.check_unused();
    return std::make_unique<GlobalAvgPool2d>();
  });
}
