#pragma once
// ActivationLayer: lets an Activation plugin stand in a model as a layer ({"type": "relu"}).
#include <memory>

#include "nnplug/activation.hpp"
#include "nnplug/layer.hpp"

namespace nnplug {

class ActivationLayer final : public Layer {
 public:
  explicit ActivationLayer(std::shared_ptr<Activation> activation) : activation_(std::move(activation)) {}
  std::string type() const override { return activation_->type(); }
  Shape build(const Shape& input, const BuildContext& ctx) override;
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override;
  // A built-in function is one element-wise op, which takes any layout.
  bool takes_any_layout() const override { return passes_through_ || activation_->pointwise().has_value(); }

  const Activation& activation() const { return *activation_; }
  // The layer before took this activation into its own output pass (Layer::fuse_activation): values and gradients
  // pass through unchanged.
  void pass_through() { passes_through_ = true; }
  bool passes_through() const { return passes_through_; }

 private:
  std::shared_ptr<Activation> activation_;
  bool passes_through_ = false;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Tensor x_, y_, dx_;
};

}  // namespace nnplug
