// Schedule 'step' (torch.optim.lr_scheduler.StepLR): base_lr * gamma^floor(epoch / step_size); gamma 0.1.
// The textbooks use x0.5 every 5 epochs and x0.1 every 8.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Step final : public Schedule {
 public:
  Step(std::int64_t step_size, double gamma) : step_size_(step_size), gamma_(gamma) {}
  std::string type() const override { return "step"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t) const override {
    return base_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
  }

 private:
  std::int64_t step_size_;
  double gamma_;
};

}  // namespace

NNPLUG_PLUGIN("step", "0.1.0", "schedule:step", 0) {
  registrar.add_schedule("step", [](const Params& p) {
    const auto step_size = p.require_integer("step_size", 1);
    const double gamma = p.number("gamma", 0.1, 0.0);
    p.check_unused();
    return std::make_unique<Step>(step_size, gamma);
  });
}
