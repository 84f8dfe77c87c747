#pragma once
// A layer without parameters that runs an op of its plugin forward, op(x) -> (y), and the op's gradient op backward,
// grad(x, y, dy) -> (dx), with attributes fixed when it is built (glu, adaptive_max_pool2d). A subclass reads its
// spec, then in build() checks the sample and calls bind() with the output sample and the op's attributes.
#include <utility>

#include "nnplug/custom_op.hpp"
#include "nnplug/layer.hpp"

namespace nnplug {

class OpLayer : public Layer {
 public:
  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    op_.on(x)({x}, {ensure(y_, *backend_, output_.with_batch(x.dim(0)), dtype_)}, attributes_);
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    op_.on(x_).gradient()({x_, y_, dy}, {ensure(dx_, *backend_, x_.shape(), dtype_)}, attributes_);
    return dx_;
  }

 protected:
  explicit OpLayer(OpHandle op) : op_(std::move(op)) {}
  // Binds the op now (refusing a backend without a kernel for it) and returns the output sample.
  const Shape& bind(const BuildContext& ctx, Shape output, BoundOp::NamedValues attributes) {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    op_.on(ctx.backend, dtype_);
    (void)output.numel();  // refuses a count past 64 bits
    output_ = std::move(output);
    attributes_ = std::move(attributes);
    return output_;
  }

 private:
  OpHandle op_;
  BoundOp::NamedValues attributes_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_;
  Tensor x_, y_, dx_;
};

}  // namespace nnplug
