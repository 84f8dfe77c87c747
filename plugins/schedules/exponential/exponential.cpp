// Schedule 'exponential' (torch.optim.lr_scheduler.ExponentialLR): base_lr * gamma^epoch; gamma required.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Exponential final : public Schedule {
 public:
  explicit Exponential(double gamma) : gamma_(gamma) {}
  std::string type() const override { return "exponential"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t) const override {
    return base_lr * std::pow(gamma_, static_cast<double>(epoch));
  }

 private:
  double gamma_;
};

}  // namespace

NNPLUG_PLUGIN("exponential", "0.1.0", "schedule:exponential", 0) {
  registrar.add_schedule("exponential", [](const Params& p) {
    const double gamma = p.require_number("gamma", 0.0);
    p.check_unused();
    return std::make_unique<Exponential>(gamma);
  });
}
