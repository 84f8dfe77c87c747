#pragma once
// PointwiseActivation: an activation that every backend computes natively (op::Activation / ActivationGrad).
// register_pointwise() is the whole body of such a plugin: relu, leaky_relu, elu, gelu, ... are one line each.
#include <limits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "nnplug/activation.hpp"
#include "nnplug/registrar.hpp"

namespace nnplug {

class PointwiseActivation final : public Activation {
 public:
  PointwiseActivation(std::string name, Pointwise fn, double alpha = kFunctionDefault)
      : name_(std::move(name)), fn_(fn), alpha_(alpha) {}
  std::string type() const override { return name_; }
  void forward(const Tensor& x, const Tensor& y) override { x.backend().run(op::Activation{x, y, fn_, alpha_}); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& dx) override {
    x.backend().run(op::ActivationGrad{x, y, dy, dx, fn_, alpha_});
  }
  std::optional<PointwiseFunction> pointwise() const override { return PointwiseFunction{fn_, alpha_}; }

 private:
  std::string name_;
  Pointwise fn_;
  double alpha_;
};

// The activation's one parameter, if it has one: its name in the spec, default and lower bound.
struct PointwiseParameter {
  const char* name = nullptr;
  double fallback = 0.0;
  double min = -std::numeric_limits<double>::infinity();
  bool strictly_positive = false;
};

inline void register_pointwise(Registrar& registrar, const std::string& name, Pointwise fn,
                               PointwiseParameter param = {}) {
  registrar.add_activation(name, [name, fn, param](const Params& p) {
    double alpha = kFunctionDefault;
    if (param.name) {
      alpha = p.number(param.name, param.fallback, param.min);
      if (param.strictly_positive && !(alpha > 0)) p.fail(param.name, fmt::format("must be > 0, got {}", alpha));
    }
    p.check_unused();
    return std::make_unique<PointwiseActivation>(name, fn, alpha);
  });
}

}  // namespace nnplug
