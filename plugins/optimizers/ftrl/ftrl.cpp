// Optimizer 'ftrl': FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013,
// Algorithm 1), as Keras's Ftrl and TensorFlow's ApplyFtrlV2 kernel compute it: lr 1e-3, learning_rate_power -0.5,
// initial_accumulator_value 0.1, l1_regularization_strength 0, l2_regularization_strength 0,
// l2_shrinkage_regularization_strength 0, beta 0. Per element, with the accumulator n and the linear term z:
//   n' = n + g^2;   z += g + 2 l2_shrinkage w - (n'^-p - n^-p) / lr w;   w = (sign(z) l1 - z) / (n'^-p / lr + 2 l2')
// where p is learning_rate_power, l2' = l2 + beta / (2 lr), and w = 0 where |z| <= l1: the L1 strength makes weights
// exactly 0, which is what FTRL is for (wide, sparse linear models).
//
// Keras starts z at 0 and adds that sum each step. Where the weight came from the closed form at the previous step's
// rate, the new z is then g + 2 l2_shrinkage w - q' w - sign(w) l1 (q' the denominator at n'; ftrl_step.hpp), and
// this plugin computes it so, which needs neither that rate nor a first z:
// - from weights of 0 (Keras's linear models) its steps are Keras's, to rounding;
// - weights initialised otherwise are kept, where Keras's first step throws them away (a zero gradient makes them 0;
//   without l1 and l2 the steps are Adagrad's with eps 0);
// - a rate that changes (a schedule) moves the weights by the gradient alone, where Keras's would scale with the rate;
// - a weight a constraint or lookahead moves between steps is taken as it is, unless moved to 0 (its z then stays).
// A step at rate 0 changes nothing. The update is this plugin's fused op ftrl_step (elementwise_step_op.hpp,
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
                     {"l2_shrinkage", l2_shrinkage_}});
  }

 private:
  double lr_power_, initial_accumulator_, l1_, l2_, l2_shrinkage_, beta_;
};

}  // namespace

NNPLUG_PLUGIN("ftrl", "0.1.0", "op:ftrl_step optimizer:ftrl", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::FtrlStep, 2>(
      registrar, "ftrl_step", {"linear", "accumulator"},
      {{"lr", 1e-3}, {"lr_power", -0.5}, {"l1", 0.0}, {"l2", 0.0}, {"l2_shrinkage", 0.0}});
  registrar.add_optimizer("ftrl", [op](const Params& p) { return std::make_unique<Ftrl>(op, p); });
}
