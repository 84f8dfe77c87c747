// Optimizer 'ftrl': FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013,
// Algorithm 1), as Keras's Ftrl and TensorFlow's ApplyFtrlV2 kernel compute it: lr 1e-3, learning_rate_power -0.5,
// initial_accumulator_value 0.1, l1_regularization_strength 0, l2_regularization_strength 0,
// l2_shrinkage_regularization_strength 0, beta 0. Per element, with the accumulator n and the linear term z:
//   n' = n + g^2;   z += g + 2 l2_shrinkage w - (n'^-p - n^-p) / lr w;   w = (sign(z) l1 - z) / (n'^-p / lr + 2 l2')
// where p is learning_rate_power, l2' = l2 + beta / (2 lr), and w = 0 where |z| <= l1: the L1 strength makes weights
// exactly 0, which is what FTRL is for (wide, sparse linear models).
//
// Keras starts z at 0, so its first step returns weights from the gradient alone: a model it initialised to anything
// but 0 loses its initial weights (a zero gradient makes them 0). Here z starts where the closed form returns the
// initial weights, z = -(n^-p / lr + 2 l2') w - sign(w) l1, set by the first step: from weights of 0 (Keras's linear
// models) that is Keras's 0 and its steps, and from any other start a zero gradient keeps the weights (with l1, those
// the penalty zeroes excepted). Without l1 and l2 the steps are then Adagrad's (PyTorch's, eps 0) at p = -0.5.
//
// The weights are a function of the state, so a change made to them between steps (a constraint, lookahead) is
// undone by the next; a learning rate that changes between steps (a schedule) rescales them, as in Keras. A step at
// learning rate 0 leaves everything as it is. The update is this plugin's fused op ftrl_step (elementwise_step_op.hpp,
// ftrl_step.hpp); its state is Keras's slots, linear and accumulator.
#include <limits>

#include "../shared/elementwise_step_op.hpp"
#include "ftrl_step.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Ftrl final : public optimizers::StatefulOptimizerOnOp {
 public:
  Ftrl(OpHandle op, const Params& p)
      : StatefulOptimizerOnOp("ftrl", std::move(op), p.number("lr", 1e-3, 0.0), {"linear", "accumulator"}),
        lr_power_(p.number("learning_rate_power", -0.5, -std::numeric_limits<double>::infinity(), 0.0)),
        initial_accumulator_(p.number("initial_accumulator_value", 0.1, 0.0)),
        l1_(p.number("l1_regularization_strength", 0.0, 0.0)),
        l2_(p.number("l2_regularization_strength", 0.0, 0.0)),
        l2_shrinkage_(p.number("l2_shrinkage_regularization_strength", 0.0, 0.0)),
        beta_(p.number("beta", 0.0, 0.0)) {
    p.check_unused();
  }

  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizerOnOp::attach(parameters);
    for (std::size_t i = 0; i < parameters.size(); ++i) slot(1, i).backend().run(op::Fill{slot(1, i), initial_accumulator_});
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    if (lr_ <= 0) return;
    op_.on(p.value)({p.grad}, {p.value, slot(0, i), slot(1, i)},
                    {{"lr", lr_},
                     {"lr_power", lr_power_},
                     {"l1", l1_},
                     {"l2", l2_ + beta_ / (2 * lr_)},
                     {"l2_shrinkage", l2_shrinkage_},
                     {"start", step_ == 1 ? 1.0 : 0.0}});
  }

 private:
  double lr_power_, initial_accumulator_, l1_, l2_, l2_shrinkage_, beta_;
};

}  // namespace

NNPLUG_PLUGIN("ftrl", "0.1.0", "op:ftrl_step optimizer:ftrl", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::FtrlStep, 2>(
      registrar, "ftrl_step", {"linear", "accumulator"},
      {{"lr", 1e-3}, {"lr_power", -0.5}, {"l1", 0.0}, {"l2", 0.0}, {"l2_shrinkage", 0.0}, {"start", 0.0}});
  registrar.add_optimizer("ftrl", [op](const Params& p) { return std::make_unique<Ftrl>(op, p); });
}
