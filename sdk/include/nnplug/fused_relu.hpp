#pragma once
// FusedRelu: the ReLU a layer takes into its own output pass (Layer::fuse_activation), as dense, conv2d and
// batch_norm do: the layer passes epilogue() to its op, and takes the gradient through the ReLU in backward, unless
// the layer after took that step (Layer::leave_activation_gradient_to_next). relu'(z) is read from the output
// y = relu(z), which is 0 exactly where z <= 0, so backward needs nothing but y.
#include "nnplug/activation.hpp"
#include "nnplug/backend.hpp"

namespace nnplug {

class FusedRelu {
 public:
  // Takes `next` when it is a ReLU; a layer's fuse_activation returns what this returns.
  bool take(const Activation& next) {
    const auto f = next.pointwise();
    taken_ = f && f->fn == Pointwise::Relu;
    return taken_;
  }

  // The function for the op's epilogue: ReLU once taken, else Identity.
  Pointwise epilogue() const { return taken_ ? Pointwise::Relu : Pointwise::Identity; }

  // The layer after takes the gradient through the ReLU: its backward hands over dL/dz.
  void leave_gradient_to_next() { gradient_left_ = true; }

  // The gradient of the layer's own result z, given that of its output y = relu(z): dy itself when none was taken,
  // or when the layer after took that step.
  const Tensor& gradient_before(const Tensor& y, const Tensor& dy) {
    if (!taken_ || gradient_left_) return dy;
    Backend& backend = y.backend();
    backend.run(op::ActivationGrad{y, y, dy, ensure(dz_, backend, y.shape(), y.dtype(), y.layout()), Pointwise::Relu});
    return dz_;
  }

 private:
  bool taken_ = false, gradient_left_ = false;
  Tensor dz_;
};

}  // namespace nnplug
