// Gradient transform 'clip_value' (torch.nn.utils.clip_grad_value_): every gradient element clamped to
// [-clip_value, clip_value].
#include <cmath>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class ClipValue final : public GradientTransform {
 public:
  explicit ClipValue(double limit) : limit_(limit) {}
  std::string type() const override { return "clip_value"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t) override {
    for (Parameter* p : parameters) p->grad.backend().run(op::Clamp{p->grad, -limit_, limit_});
  }

 private:
  double limit_;
};

}  // namespace

NNPLUG_PLUGIN("clip_value", "0.1.0", "gradient_transform:clip_value", 0) {
  registrar.add_gradient_transform("clip_value", [](const Params& p) {
    const double limit = p.require_number("clip_value", 0.0);
    if (!(limit > 0)) p.fail("clip_value", "must be > 0");
    p.check_unused();
    return std::make_unique<ClipValue>(limit);
  });
}
