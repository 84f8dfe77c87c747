// Optimizer 'rprop' (Riedmiller and Braun, "A Direct Adaptive Method for Faster Backpropagation Learning: The RPROP
// Algorithm", 1993; torch.optim.Rprop, whose rule, defaults and state names these are): lr 1e-2, etas
// [etaminus, etaplus] = [0.5, 1.2], step_sizes [min, max] = [1e-6, 50]. Each weight has its own step size, which
// starts at lr, grows by etaplus while its gradient keeps its sign and shrinks by etaminus when the sign flips (the
// last step overshot a minimum); the weight moves by its step size against the gradient's sign, and not at all on a
// flip, whose gradient is then forgotten. Only the gradients' signs count, so Rprop suits full-batch training of small
// networks (batch_size the training set's size, the chapters' XOR and blobs); minibatch noise flips the signs. The
// update is this plugin's fused op rprop_step (elementwise_step_op.hpp, rprop_step.hpp); its state is PyTorch's prev
// and step_size.
#include "../shared/elementwise_step_op.hpp"
#include "nnplug/plugin.hpp"
#include "rprop_step.hpp"

namespace {

using namespace nnplug;

class Rprop final : public optimizers::StatefulOptimizerOnOp {
 public:
  Rprop(OpHandle op, const Params& p)
      : StatefulOptimizerOnOp("rprop", std::move(op), p.number("lr", 1e-2, 0.0), {"prev", "step_size"}),
        etas_(p.numbers("etas", {0.5, 1.2}, 2, 0.0)),
        step_sizes_(p.numbers("step_sizes", {1e-6, 50.0}, 2, 0.0)) {
    p.check_unused();
    if (!(etas_[0] < 1 && etas_[1] > 1))
      p.fail("etas", fmt::format("must be [etaminus, etaplus] with 0 <= etaminus < 1 < etaplus, as PyTorch's, got [{}, {}]", etas_[0], etas_[1]));
    if (step_sizes_[0] > step_sizes_[1])
      p.fail("step_sizes", fmt::format("must be [min, max] with min <= max, got [{}, {}]", step_sizes_[0], step_sizes_[1]));
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i), slot(1, i)},
                    {{"lr", lr_}, {"etaminus", etas_[0]}, {"etaplus", etas_[1]}, {"step_size_min", step_sizes_[0]},
                     {"step_size_max", step_sizes_[1]}, {"step", static_cast<double>(step_)}});
  }

 private:
  std::vector<double> etas_, step_sizes_;
};

}  // namespace

NNPLUG_PLUGIN("rprop", "0.1.0", "op:rprop_step optimizer:rprop", 0) {
  auto op = optimizers::add_elementwise_step_op<optimizers::RpropStep, 2>(
      registrar, "rprop_step", {"prev", "step_size"},
      {{"lr", 1e-2}, {"etaminus", 0.5}, {"etaplus", 1.2}, {"step_size_min", 1e-6}, {"step_size_max", 50.0}, {"step", 2.0}});
  registrar.add_optimizer("rprop", [op](const Params& p) { return std::make_unique<Rprop>(op, p); });
}
