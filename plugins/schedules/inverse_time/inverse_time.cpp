// Schedule 'inverse_time': base_lr / (1 + decay t), t counting optimizer steps (per "step", the default: Keras'
// legacy `decay` argument) or epochs (per "epoch"). decay >= 0 is required.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class InverseTime final : public Schedule {
 public:
  InverseTime(double decay, bool per_step) : decay_(decay), per_step_(per_step) {}
  std::string type() const override { return "inverse_time"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override {
    return base_lr / (1.0 + decay_ * static_cast<double>(per_step_ ? step : epoch));
  }

 private:
  double decay_;
  bool per_step_;
};

}  // namespace

NNPLUG_PLUGIN("inverse_time", "0.1.0", "schedule:inverse_time", 0) {
  registrar.add_schedule("inverse_time", [](const Params& p) {
    const double decay = p.require_number("decay", 0.0);
    const bool per_step = counts_steps(p, "step");
    p.check_unused();
    return std::make_unique<InverseTime>(decay, per_step);
  });
}
