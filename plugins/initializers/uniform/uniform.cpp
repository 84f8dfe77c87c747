// Initializer 'uniform' (torch.nn.init.uniform_): U(a, b), defaults a = 0, b = 1.
#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {
class Uniform final : public nnplug::Initializer {
 public:
  Uniform(double a, double b) : a_(a), b_(b) {}
  std::string type() const override { return "uniform"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random& random) override {
    for (double& v : values) v = random.uniform(a_, b_);
  }

 private:
  double a_, b_;
};
}  // namespace

NNPLUG_PLUGIN("uniform", "0.1.0", "initializer:uniform", 0) {
  registrar.add_initializer("uniform", [](const nnplug::Params& p) {
    const double a = p.number("a", 0.0), b = p.number("b", 1.0);
    if (!(a < b)) p.fail("b", fmt::format("must be greater than a ({}), got {}", a, b));
    p.check_unused();
    return std::make_unique<Uniform>(a, b);
  });
}
