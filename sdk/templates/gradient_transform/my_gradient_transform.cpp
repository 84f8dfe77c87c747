// Template gradient transform 'my_gradient_transform': multiplies every gradient by `factor` before the
// optimizer's step, whatever the optimizer. List it in a spec's "gradient_transforms".
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyGradientTransform final : public GradientTransform {
 public:
  explicit MyGradientTransform(double factor) : factor_(factor) {}
  std::string type() const override { return "my_gradient_transform"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t) override {
    for (Parameter* p : parameters) p->grad.backend().run(op::Axpby{p->grad, p->grad, factor_, 0.0});
  }

 private:
  double factor_;
};

}  // namespace

NNPLUG_PLUGIN("my_gradient_transform", "0.1.0", "gradient_transform:my_gradient_transform", 0) {
  registrar.add_gradient_transform("my_gradient_transform", [](const Params& p) {
    const double factor = p.number("factor", 1.0);
    p.check_unused();
    return std::make_unique<MyGradientTransform>(factor);
  });
}
