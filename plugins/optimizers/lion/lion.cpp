// Optimizer 'lion' (Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023, Algorithm 2; Keras's
// Lion, optax's lion): lr 1e-4, betas [0.9, 0.99], weight_decay 0 (decoupled, as AdamW's). Each step:
//   param -= lr (sign(beta1 m + (1 - beta1) g) + weight_decay param);   m = beta2 m + (1 - beta2) g
// The sign makes every element move by lr whatever its gradient's scale, so the paper takes a rate 3 to 10 times
// below AdamW's and a weight decay as many times above. The update is this plugin's fused op lion_step
// (elementwise_step_op.hpp, lion_step.hpp); its state is PyTorch's name for the momentum, exp_avg.
#include "../shared/elementwise_step_op.hpp"
#include "lion_step.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Lion final : public optimizers::StatefulOptimizerOnOp {
 public:
  Lion(OpHandle op, const Params& p)
      : StatefulOptimizerOnOp("lion", std::move(op), p.number("lr", 1e-4, 0.0), {"exp_avg"}),
        betas_(p.numbers("betas", {0.9, 0.99}, 2, 0.0, 1.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {
    p.check_unused();
  }
  // beta1, the interpolation the sign is taken of, is what a schedule cycling the momentum moves.
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i)},
                    {{"lr", lr_}, {"beta1", betas_[0]}, {"beta2", betas_[1]}, {"weight_decay", weight_decay_}});
  }

 private:
  std::vector<double> betas_;
  double weight_decay_;
};

}  // namespace

NNPLUG_PLUGIN("lion", "0.1.0", "op:lion_step optimizer:lion", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::LionStep, 1>(registrar, "lion_step", {"exp_avg"},
                                                             {{"lr", 1e-4}, {"beta1", 0.9}, {"beta2", 0.99}, {"weight_decay", 0.0}});
  registrar.add_optimizer("lion", [op](const Params& p) { return std::make_unique<Lion>(op, p); });
}
