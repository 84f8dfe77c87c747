// Schedule 'cosine_warm_restarts' (torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, SGDR of Loshchilov and
// Hutter): a cosine from base_lr down towards eta_min over a cycle of T_0 epochs (or optimizer steps, with per
// "step"), then back to base_lr for a cycle T_mult times as long, and so on. T_0 required; T_mult 1; eta_min 0.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class CosineWarmRestarts final : public Schedule {
 public:
  CosineWarmRestarts(std::int64_t t_0, std::int64_t t_mult, double eta_min, bool per_step)
      : t_0_(t_0), t_mult_(t_mult), eta_min_(eta_min), per_step_(per_step) {}
  std::string type() const override { return "cosine_warm_restarts"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override {
    // Where t falls in its cycle: whole cycles are taken off one at a time (they grow geometrically, so there are
    // few), in double so that no cycle length overflows.
    double t_cur = static_cast<double>(per_step_ ? step : epoch), t_i = static_cast<double>(t_0_);
    if (t_mult_ == 1) {
      t_cur = std::fmod(t_cur, t_i);
    } else {
      while (t_cur >= t_i) t_cur -= t_i, t_i *= static_cast<double>(t_mult_);
    }
    return eta_min_ + (base_lr - eta_min_) * (1.0 + std::cos(std::numbers::pi * t_cur / t_i)) / 2.0;
  }

 private:
  std::int64_t t_0_, t_mult_;
  double eta_min_;
  bool per_step_;
};

}  // namespace

NNPLUG_PLUGIN("cosine_warm_restarts", "0.1.0", "schedule:cosine_warm_restarts", 0) {
  registrar.add_schedule("cosine_warm_restarts", [](const Params& p) {
    const auto t_0 = p.require_integer("T_0", 1);
    const auto t_mult = p.integer("T_mult", 1, 1, 1000);
    const double eta_min = p.number("eta_min", 0.0, 0.0);
    const bool per_step = counts_steps(p, "epoch");
    p.check_unused();
    return std::make_unique<CosineWarmRestarts>(t_0, t_mult, eta_min, per_step);
  });
}
