// Initializer 'normal' (torch.nn.init.normal_): N(mean, std^2), defaults mean 0, std 1.
#include "nnplug/plugin.hpp"

namespace {
class Normal final : public nnplug::Initializer {
 public:
  Normal(double mean, double std) : mean_(mean), std_(std) {}
  std::string type() const override { return "normal"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random& random) override {
    for (double& v : values) v = random.normal(mean_, std_);
  }

 private:
  double mean_, std_;
};
}  // namespace

NNPLUG_PLUGIN("normal", "0.1.0", "initializer:normal", 0) {
  registrar.add_initializer("normal", [](const nnplug::Params& p) {
    const double mean = p.number("mean", 0.0), std = p.number("std", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<Normal>(mean, std);
  });
}
