// Schedule 'polynomial' (torch.optim.lr_scheduler.PolynomialLR, closed form): base_lr (1 - min(t, total_iters) /
// total_iters)^power, t counting epochs (or optimizer steps, with per "step"); total_iters 5, power 1 (a linear decay
// to 0 that then stays there).
#include <algorithm>
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Polynomial final : public Schedule {
 public:
  Polynomial(std::int64_t total, double power, bool per_step) : total_(total), power_(power), per_step_(per_step) {}
  std::string type() const override { return "polynomial"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override {
    const auto t = std::min(per_step_ ? step : epoch, total_);
    return base_lr * std::pow(1.0 - static_cast<double>(t) / static_cast<double>(total_), power_);
  }

 private:
  std::int64_t total_;
  double power_;
  bool per_step_;
};

}  // namespace

NNPLUG_PLUGIN("polynomial", "0.1.0", "schedule:polynomial", 0) {
  registrar.add_schedule("polynomial", [](const Params& p) {
    const auto total = p.integer("total_iters", 5, 1);
    const double power = p.number("power", 1.0, 0.0);
    const bool per_step = counts_steps(p, "epoch");
    p.check_unused();
    return std::make_unique<Polynomial>(total, power, per_step);
  });
}
