// Optimizer 'adadelta', exactly torch.optim.Adadelta: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class Adadelta final : public StatefulOptimizer {
 public:
  explicit Adadelta(const Params& p)
      : StatefulOptimizer("adadelta", p.number("lr", 1.0, 0.0), {"square_avg", "acc_delta"}),
        rho_(p.number("rho", 0.9, 0.0, 1.0)),
        eps_(p.number("eps", 1e-6, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {
    p.check_unused();
  }

 private:
  void update(std::size_t i, Parameter& p) override {
    p.value.backend().run(op::AdadeltaStep{p.value, p.grad, slot(0, i), slot(1, i), lr_, rho_, eps_, weight_decay_});
  }
  double rho_, eps_, weight_decay_;
};

}  // namespace

NNPLUG_PLUGIN("adadelta", "0.1.0", "optimizer:adadelta", 0) {
  registrar.add_optimizer("adadelta", [](const Params& p) { return std::make_unique<Adadelta>(p); });
}
