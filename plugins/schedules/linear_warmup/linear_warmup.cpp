// Schedule 'linear_warmup' (torch.optim.lr_scheduler.LinearLR): base_lr times a factor that moves linearly
// from start_factor (1/3) to end_factor (1) over total_iters (5) epochs, or optimizer steps with per "step",
// then stays.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class LinearWarmup final : public Schedule {
 public:
  LinearWarmup(double start, double end, std::int64_t total, bool per_step)
      : start_(start), end_(end), total_(total), per_step_(per_step) {}
  std::string type() const override { return "linear_warmup"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override {
    const auto t = std::min(per_step_ ? step : epoch, total_);
    return base_lr * (start_ + (end_ - start_) * static_cast<double>(t) / static_cast<double>(total_));
  }

 private:
  double start_, end_;
  std::int64_t total_;
  bool per_step_;
};

}  // namespace

NNPLUG_PLUGIN("linear_warmup", "0.1.0", "schedule:linear_warmup", 0) {
  registrar.add_schedule("linear_warmup", [](const Params& p) {
    const double start = p.number("start_factor", 1.0 / 3.0, 0.0, 1.0), end = p.number("end_factor", 1.0, 0.0, 1.0);
    if (!(start > 0)) p.fail("start_factor", "must be > 0 (a zero rate learns nothing)");
    const auto total = p.integer("total_iters", 5, 1);
    const bool per_step = counts_steps(p, "epoch");
    p.check_unused();
    return std::make_unique<LinearWarmup>(start, end, total, per_step);
  });
}
