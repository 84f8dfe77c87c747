// Optimizer 'sgd', exactly torch.optim.SGD: lr (required), momentum 0, dampening 0, weight_decay 0, nesterov false.
// Keras writes momentum as v = mu v - lr g; w += v. At a constant learning rate that is the same trajectory as
// PyTorch's v = mu v + g; w -= lr v (Keras' v is -lr times PyTorch's), so the reference paths of the textbook
// chapters hold for this optimizer too.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class Sgd final : public StatefulOptimizer {
 public:
  explicit Sgd(const Params& p)
      : StatefulOptimizer("sgd", p.require_number("lr", 0.0), {"momentum_buffer"}),
        momentum_(p.number("momentum", 0.0, 0.0)),
        dampening_(p.number("dampening", 0.0, 0.0, 1.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        nesterov_(p.boolean("nesterov", false)),
        with_momentum_(momentum_ != 0.0) {
    if (nesterov_ && (momentum_ <= 0.0 || dampening_ != 0.0))
      p.fail("nesterov", "needs momentum > 0 and dampening = 0 (as in PyTorch)");
    p.check_unused();
  }
  // Only a momentum the spec gave is cycled: without one, there is no buffer to keep it in.
  bool set_momentum(double momentum) override {
    if (!with_momentum_) return false;
    momentum_ = momentum;
    return true;
  }

 private:
  bool uses_slot(std::size_t) const override { return with_momentum_; }
  void update(std::size_t i, Parameter& p) override {
    p.value.backend().run(op::SgdStep{p.value, p.grad, slot(0, i), lr_, momentum_, dampening_, weight_decay_, nesterov_,
                                      step_ == 1});
  }
  double momentum_, dampening_, weight_decay_;
  bool nesterov_, with_momentum_;
};

}  // namespace

NNPLUG_PLUGIN("sgd", "0.1.0", "optimizer:sgd", 0) {
  registrar.add_optimizer("sgd", [](const Params& p) { return std::make_unique<Sgd>(p); });
}
