// Schedule 'constant': the optimizer's rate throughout (the same as no schedule, explicit in a spec).
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Constant final : public Schedule {
 public:
  std::string type() const override { return "constant"; }
  double learning_rate(double base_lr, std::int64_t, std::int64_t) const override { return base_lr; }
};

}  // namespace

NNPLUG_PLUGIN("constant", "0.1.0", "schedule:constant", 0) {
  registrar.add_schedule("constant", [](const Params& p) {
    p.check_unused();
    return std::make_unique<Constant>();
  });
}
