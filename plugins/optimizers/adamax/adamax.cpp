// Optimizer 'adamax', torch.optim.Adamax (Kingma and Ba, "Adam", ICLR 2015, section 7.1: Adam under the infinity
// norm): lr 2e-3, betas [0.9, 0.999], eps 1e-8, weight_decay 0 (L2, added to the gradient). Step t:
//   m = beta1 m + (1 - beta1) g;   u = max(beta2 u, |g| + eps);   param -= lr / (1 - beta1^t) m / u
// The update is this plugin's fused op adamax_step (elementwise_step_op.hpp, adamax_step.hpp).
#include <algorithm>
#include <cmath>

#include "../shared/elementwise_step_op.hpp"
#include "adamax_step.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Adamax final : public optimizers::AdamFamilyOnOp {
 public:
  Adamax(OpHandle op, const Params& p) : AdamFamilyOnOp("adamax", std::move(op), p, {"exp_avg", "exp_inf"}) { p.check_unused(); }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i), slot(1, i)},
                    {{"lr", lr_}, {"beta1", betas_[0]}, {"beta2", betas_[1]}, {"eps", eps_}, {"weight_decay", weight_decay_},
                     {"step", static_cast<double>(step_)}});
  }
};

}  // namespace

NNPLUG_PLUGIN("adamax", "0.1.0", "op:adamax_step optimizer:adamax", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::AdamaxStep, 2>(registrar, "adamax_step", {"exp_avg", "exp_inf"},
                                                             {{"lr", 2e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0.0},
                                                              {"step", 1.0}});
  registrar.add_optimizer("adamax", [op](const Params& p) { return std::make_unique<Adamax>(op, p); });
}
