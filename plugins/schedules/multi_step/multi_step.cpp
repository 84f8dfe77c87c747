// Schedule 'multi_step' (torch.optim.lr_scheduler.MultiStepLR): base_lr * gamma^(the number of milestones reached),
// a milestone being reached at its epoch (or optimizer step, with per "step"); milestones required, in increasing
// order; gamma 0.1. The chapters' "x0.1 at epochs 30 and 60" is {"milestones": [30, 60]}.
#include <algorithm>
#include <cmath>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MultiStep final : public Schedule {
 public:
  MultiStep(std::vector<std::int64_t> milestones, double gamma, bool per_step)
      : milestones_(std::move(milestones)), gamma_(gamma), per_step_(per_step) {}
  std::string type() const override { return "multi_step"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override {
    const auto reached = std::upper_bound(milestones_.begin(), milestones_.end(), per_step_ ? step : epoch) - milestones_.begin();
    return base_lr * std::pow(gamma_, static_cast<double>(reached));
  }

 private:
  std::vector<std::int64_t> milestones_;
  double gamma_;
  bool per_step_;
};

}  // namespace

NNPLUG_PLUGIN("multi_step", "0.1.0", "schedule:multi_step", 0) {
  registrar.add_schedule("multi_step", [](const Params& p) {
    if (!p.has("milestones")) p.fail("milestones", "is required: the epochs at which the rate is multiplied by gamma");
    std::vector<std::int64_t> milestones;
    for (const double m : p.numbers("milestones", {}, 0, 1.0, 1e15)) {
      if (m != std::floor(m) || (!milestones.empty() && m < static_cast<double>(milestones.back())))
        p.fail("milestones", "must be whole numbers of epochs (or steps) from 1, in increasing order");
      milestones.push_back(static_cast<std::int64_t>(m));
    }
    const double gamma = p.number("gamma", 0.1, 0.0);
    const bool per_step = counts_steps(p, "epoch");
    p.check_unused();
    return std::make_unique<MultiStep>(std::move(milestones), gamma, per_step);
  });
}
