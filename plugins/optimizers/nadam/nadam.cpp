// Optimizer 'nadam', torch.optim.NAdam (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop):
// lr 2e-3, betas [0.9, 0.999], eps 1e-8, weight_decay 0 (L2, added to the gradient), momentum_decay 4e-3. Step t:
//   mu_t = beta1 (1 - 0.96^(t momentum_decay) / 2);   prod_t = mu_1 ... mu_t
//   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;   d = sqrt(v / (1 - beta2^t)) + eps
//   param -= lr (1 - mu_t) / (1 - prod_t) g / d + lr mu_{t+1} / (1 - prod_t mu_{t+1}) m / d
// as PyTorch 2 computes it: PyTorch 1.13 multiplied prod_t mu_{t+1} by mu_t once more, a bug fixed in 2.0 (#92699).
// The update is this plugin's fused op nadam_step (elementwise_step_op.hpp, nadam_step.hpp). prod_t is the optimizer's own state,
// saved in checkpoints as "mu_product" (a schedule that cycles beta1, one_cycle, makes it more than a function of t).
#include <cmath>

#include "../shared/elementwise_step_op.hpp"
#include "nadam_step.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class NAdam final : public optimizers::AdamFamilyOnOp {
 public:
  NAdam(OpHandle op, const Params& p)
      : AdamFamilyOnOp("nadam", std::move(op), p, {"exp_avg", "exp_avg_sq"}), momentum_decay_(p.number("momentum_decay", 4e-3, 0.0)) {
    p.check_unused();
  }

  void attach(const std::vector<Parameter*>& parameters) override {
    AdamFamilyOnOp::attach(parameters);
    mu_product_ = 1.0;
    if (!parameters.empty()) saved_mu_product_ = parameters.front()->value.backend().empty({1}, DType::Float64);
  }
  void begin_step() override {
    StatefulOptimizer::begin_step();
    mu_ = momentum_cache(step_);
    mu_next_ = momentum_cache(step_ + 1);
    mu_product_ *= mu_;
  }
  // prod_t beside the moments: written to its tensor whenever the state is read (to save it, or to load into it),
  // and read back once a checkpoint is loaded, which ends with set_step_count.
  std::vector<std::pair<std::string, Tensor>> state() override {
    auto out = StatefulOptimizer::state();
    if (!saved_mu_product_.defined()) return out;
    saved_mu_product_.backend().upload(saved_mu_product_, &mu_product_, sizeof mu_product_);
    out.emplace_back("mu_product", saved_mu_product_);
    return out;
  }
  void set_step_count(std::int64_t steps) override {
    StatefulOptimizer::set_step_count(steps);
    if (saved_mu_product_.defined()) saved_mu_product_.backend().download(&mu_product_, saved_mu_product_, sizeof mu_product_);
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i), slot(1, i)},
                    {{"lr", lr_}, {"beta1", betas_[0]}, {"beta2", betas_[1]}, {"eps", eps_}, {"weight_decay", weight_decay_}, {"mu", mu_},
                     {"mu_next", mu_next_}, {"mu_product", mu_product_}, {"step", static_cast<double>(step_)}});
  }

 private:
  double momentum_cache(std::int64_t t) const { return betas_[0] * (1 - 0.5 * std::pow(0.96, static_cast<double>(t) * momentum_decay_)); }

  double momentum_decay_;
  double mu_ = 0.0, mu_next_ = 0.0, mu_product_ = 1.0;
  Tensor saved_mu_product_;
};

}  // namespace

NNPLUG_PLUGIN("nadam", "0.1.0", "op:nadam_step optimizer:nadam", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::NadamStep, 2>(registrar, "nadam_step", {"exp_avg", "exp_avg_sq"},
                                                            {{"lr", 2e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0.0},
                                                             {"mu", 0.45}, {"mu_next", 0.45}, {"mu_product", 0.45}, {"step", 1.0}});
  registrar.add_optimizer("nadam", [op](const Params& p) { return std::make_unique<NAdam>(op, p); });
}
