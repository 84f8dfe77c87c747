// Optimizer 'adam', exactly torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8 (added outside the square
// root of the bias-corrected second moment), weight_decay 0 (L2, added to the gradient), amsgrad false.
// The textbook's folded form (eps 1e-7 inside lr_t) differs from this one only at the eps level.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class Adam final : public StatefulOptimizer {
 public:
  // AdamW shares everything but the default weight decay and where the decay applies.
  Adam(const Params& p, const char* name, double default_weight_decay, bool decoupled)
      : StatefulOptimizer(name, p.number("lr", 1e-3, 0.0), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", default_weight_decay, 0.0)),
        amsgrad_(p.boolean("amsgrad", false)),
        decoupled_(decoupled) {
    p.check_unused();
  }
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }

 private:
  bool uses_slot(std::size_t s) const override { return s < 2 || amsgrad_; }
  void update(std::size_t i, Parameter& p) override {
    p.value.backend().run(op::AdamStep{p.value, p.grad, slot(0, i), slot(1, i), slot(2, i), lr_, betas_[0], betas_[1],
                                       eps_, weight_decay_, step_, amsgrad_, decoupled_});
  }
  std::vector<double> betas_;
  double eps_, weight_decay_;
  bool amsgrad_, decoupled_;
};

}  // namespace

// This source builds two plugins: 'adam', and 'adamw' (plugins/optimizers/adamw, torch.optim.AdamW), which decays
// the weights directly, param *= 1 - lr weight_decay, with default weight_decay 0.01.
#ifdef NNPLUG_ADAMW
NNPLUG_PLUGIN("adamw", "0.1.0", "optimizer:adamw", 0) {
  registrar.add_optimizer("adamw", [](const Params& p) { return std::make_unique<Adam>(p, "adamw", 1e-2, true); });
}
#else
NNPLUG_PLUGIN("adam", "0.1.0", "optimizer:adam", 0) {
  registrar.add_optimizer("adam", [](const Params& p) { return std::make_unique<Adam>(p, "adam", 0.0, false); });
}
#endif
