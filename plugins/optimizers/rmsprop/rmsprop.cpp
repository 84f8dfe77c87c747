// Optimizer 'rmsprop', exactly torch.optim.RMSprop: lr 1e-2, alpha 0.99, eps 1e-8 (outside the root),
// weight_decay 0, momentum 0, centered false.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class Rmsprop final : public StatefulOptimizer {
 public:
  explicit Rmsprop(const Params& p)
      : StatefulOptimizer("rmsprop", p.number("lr", 1e-2, 0.0), {"square_avg", "grad_avg", "momentum_buffer"}),
        alpha_(p.number("alpha", 0.99, 0.0, 1.0)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        momentum_(p.number("momentum", 0.0, 0.0)),
        centered_(p.boolean("centered", false)),
        with_momentum_(momentum_ > 0.0) {
    p.check_unused();
  }
  // Only a momentum the spec gave is cycled: without one, there is no buffer to keep it in.
  bool set_momentum(double momentum) override {
    if (!with_momentum_) return false;
    momentum_ = momentum;
    return true;
  }

 private:
  bool uses_slot(std::size_t s) const override { return s == 0 || (s == 1 && centered_) || (s == 2 && with_momentum_); }
  void update(std::size_t i, Parameter& p) override {
    p.value.backend().run(op::RmspropStep{p.value, p.grad, slot(0, i), slot(1, i), slot(2, i), lr_, alpha_, eps_,
                                          weight_decay_, momentum_, centered_});
  }
  double alpha_, eps_, weight_decay_, momentum_;
  bool centered_, with_momentum_;
};

}  // namespace

NNPLUG_PLUGIN("rmsprop", "0.1.0", "optimizer:rmsprop", 0) {
  registrar.add_optimizer("rmsprop", [](const Params& p) { return std::make_unique<Rmsprop>(p); });
}
