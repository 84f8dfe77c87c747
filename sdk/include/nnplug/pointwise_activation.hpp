#pragma once
// PointwiseActivation: an activation that a backend computes natively with op::Activation / op::ActivationGrad.
// The relu, sigmoid and tanh plugins are each one line on top of it.
#include <string>
#include <utility>

#include "nnplug/activation.hpp"

namespace nnplug {

class PointwiseActivation final : public Activation {
 public:
  PointwiseActivation(std::string name, Pointwise fn) : name_(std::move(name)), fn_(fn) {}
  std::string type() const override { return name_; }
  void forward(const Tensor& x, const Tensor& y) override { x.backend().run(op::Activation{x, y, fn_}); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& dx) override {
    x.backend().run(op::ActivationGrad{x, y, dy, dx, fn_});
  }

 private:
  std::string name_;
  Pointwise fn_;
};

}  // namespace nnplug
