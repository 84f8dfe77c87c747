// Template schedule 'my_schedule': the learning rate halves every `every` epochs, lr = base_lr 0.5^(epoch / every)
// (epochs count from 0; `step` counts optimizer steps for schedules that change within an epoch).
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MySchedule final : public Schedule {
 public:
  explicit MySchedule(std::int64_t every) : every_(every) {}
  std::string type() const override { return "my_schedule"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t) const override {
    return base_lr * std::pow(0.5, static_cast<double>(epoch / every_));
  }

 private:
  std::int64_t every_;
};

}  // namespace

NNPLUG_PLUGIN("my_schedule", "0.1.0", "schedule:my_schedule", 0) {
  registrar.add_schedule("my_schedule", [](const Params& p) {
    const auto every = p.integer("every", 10, 1);
    p.check_unused();
    return std::make_unique<MySchedule>(every);
  });
}
