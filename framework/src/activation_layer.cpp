#include "nnplug/framework/activation_layer.hpp"

namespace nnplug {

Shape ActivationLayer::build(const Shape& input, const BuildContext& ctx) {
  activation_->check(input);
  activation_->prepare(ctx.backend, ctx.dtype);
  backend_ = &ctx.backend;
  dtype_ = ctx.dtype;
  return input;
}

const Tensor& ActivationLayer::forward(const Tensor& x) {
  x_ = x;
  if (passes_through_) return x_;
  activation_->forward(x, ensure(y_, *backend_, x.shape(), dtype_, x.layout()));
  return y_;
}

const Tensor& ActivationLayer::backward(const Tensor& dy, bool need_input_grad) {
  if (!need_input_grad) {
    dx_ = Tensor();
    return dx_;
  }
  if (passes_through_) {
    dx_ = dy;
    return dx_;
  }
  activation_->backward(x_, y_, dy, ensure(dx_, *backend_, dy.shape(), dtype_, dy.layout()));
  return dx_;
}

}  // namespace nnplug
