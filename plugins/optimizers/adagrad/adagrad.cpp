// Optimizer 'adagrad', exactly torch.optim.Adagrad: lr 1e-2, lr_decay 0, weight_decay 0, eps 1e-10 (outside the
// root; the textbook's 1e-7 is the same form), initial_accumulator_value 0.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class Adagrad final : public StatefulOptimizer {
 public:
  explicit Adagrad(const Params& p)
      : StatefulOptimizer("adagrad", p.number("lr", 1e-2, 0.0), {"sum"}),
        lr_decay_(p.number("lr_decay", 0.0, 0.0)),
        eps_(p.number("eps", 1e-10, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        initial_(p.number("initial_accumulator_value", 0.0, 0.0)) {
    p.check_unused();
  }

  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizer::attach(parameters);
    for (std::size_t i = 0; i < parameters.size(); ++i) slot(0, i).backend().run(op::Fill{slot(0, i), initial_});
  }

 private:
  void update(std::size_t i, Parameter& p) override {
    p.value.backend().run(op::AdagradStep{p.value, p.grad, slot(0, i), lr_, lr_decay_, eps_, weight_decay_, step_});
  }
  double lr_decay_, eps_, weight_decay_, initial_;
};

}  // namespace

NNPLUG_PLUGIN("adagrad", "0.1.0", "optimizer:adagrad", 0) {
  registrar.add_optimizer("adagrad", [](const Params& p) { return std::make_unique<Adagrad>(p); });
}
