// Optimizer 'asgd' (Polyak and Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging"; Bottou's
// averaged SGD; torch.optim.ASGD, whose rule, defaults and state names these are): lr 1e-2, lambd 1e-4, alpha 0.75,
// t0 1e6, weight_decay 0. SGD whose rate decays as lr / (1 + lambd lr t)^alpha, each step also shrinking the weights
// by 1 - lambd eta, and which keeps in ax the running average of the weights from step t0 on (the weights
// themselves before): the averaged iterate, which converges faster than the last one for a convex problem. As in
// PyTorch, training goes on with the weights, and ax is state (in checkpoints, under "ax"); the stochastic weight
// averaging callback averages a network's weights for use. The update is this plugin's fused op asgd_step
// (elementwise_step_op.hpp, asgd_step.hpp).
#include "../shared/elementwise_step_op.hpp"
#include "asgd_step.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Asgd final : public optimizers::StatefulOptimizerOnOp {
 public:
  Asgd(OpHandle op, const Params& p)
      : StatefulOptimizerOnOp("asgd", std::move(op), p.number("lr", 1e-2, 0.0), {"ax"}),
        lambd_(p.number("lambd", 1e-4, 0.0)),
        alpha_(p.number("alpha", 0.75, 0.0)),
        t0_(p.number("t0", 1e6, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {
    p.check_unused();
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i)},
                    {{"lr", lr_}, {"lambd", lambd_}, {"alpha", alpha_}, {"t0", t0_}, {"weight_decay", weight_decay_},
                     {"step", static_cast<double>(step_)}});
  }

 private:
  double lambd_, alpha_, t0_, weight_decay_;
};

}  // namespace

NNPLUG_PLUGIN("asgd", "0.1.0", "op:asgd_step optimizer:asgd", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::AsgdStep, 1>(
      registrar, "asgd_step", {"ax"},
      {{"lr", 1e-2}, {"lambd", 1e-4}, {"alpha", 0.75}, {"t0", 0.0}, {"weight_decay", 0.0}, {"step", 3.0}});
  registrar.add_optimizer("asgd", [op](const Params& p) { return std::make_unique<Asgd>(op, p); });
}
