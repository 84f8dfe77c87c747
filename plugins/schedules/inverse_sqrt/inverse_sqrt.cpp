// Schedule 'inverse_sqrt': base_lr / sqrt(epoch), epochs counted from 1 (the textbook's eta0 / sqrt(t)).
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class InverseSqrt final : public Schedule {
 public:
  std::string type() const override { return "inverse_sqrt"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t) const override {
    return base_lr / std::sqrt(static_cast<double>(epoch + 1));
  }
};

}  // namespace

NNPLUG_PLUGIN("inverse_sqrt", "0.1.0", "schedule:inverse_sqrt", 0) {
  registrar.add_schedule("inverse_sqrt", [](const Params& p) {
    p.check_unused();
    return std::make_unique<InverseSqrt>();
  });
}
