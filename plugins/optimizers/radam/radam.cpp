// Optimizer 'radam', exactly torch.optim.RAdam (Liu et al., "On the Variance of the Adaptive Learning Rate and
// Beyond", ICLR 2020): Adam's moments, but while the variance of the adaptive rate is intractable (rho_t <= 5, the
// first steps) the update is momentum SGD on the bias-corrected first moment; after that Adam's update scaled by the
// rectification term r_t. lr 1e-3, betas [0.9, 0.999], eps 1e-8 (added to sqrt(v)), weight_decay 0 (L2).
//
// Both updates are built-in ops, so every backend runs RAdam natively: Adam's fused step with lr r_t lr and eps
// eps / sqrt(1 - beta2^t) is RAdam's rectified update, lr r_t sqrt(1 - beta2^t) m_hat / (sqrt(v) + eps); with lr 0
// it updates the moments alone, and an axpby then takes lr m_hat.
#include <cmath>

#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class RAdam final : public StatefulOptimizer {
 public:
  explicit RAdam(const Params& p)
      : StatefulOptimizer("radam", p.number("lr", 1e-3, 0.0), {"exp_avg", "exp_avg_sq"}),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {
    p.check_unused();
  }
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }

 private:
  void update(std::size_t i, Parameter& p) override {
    const double beta1 = betas_[0], beta2 = betas_[1], t = static_cast<double>(step_);
    const double correction1 = 1.0 - std::pow(beta1, t), correction2 = 1.0 - std::pow(beta2, t);
    const double rho_inf = 2.0 / (1.0 - beta2) - 1.0, rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / correction2;
    Backend& backend = p.value.backend();
    if (rho_t > 5.0) {
      const double rect = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
      backend.run(op::AdamStep{p.value, p.grad, slot(0, i), slot(1, i), Tensor(), lr_ * rect, beta1, beta2, eps_ / std::sqrt(correction2),
                               weight_decay_, step_});
      return;
    }
    backend.run(op::AdamStep{p.value, p.grad, slot(0, i), slot(1, i), Tensor(), 0.0, beta1, beta2, eps_, weight_decay_, step_});
    backend.run(op::Axpby{slot(0, i), p.value, -lr_ / correction1, 1.0});
  }

  std::vector<double> betas_;
  double eps_, weight_decay_;
};

}  // namespace

NNPLUG_PLUGIN("radam", "0.1.0", "optimizer:radam", 0) {
  registrar.add_optimizer("radam", [](const Params& p) { return std::make_unique<RAdam>(p); });
}
