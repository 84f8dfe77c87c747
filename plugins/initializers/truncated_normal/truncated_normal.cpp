// Initializer 'truncated_normal' (torch.nn.init.trunc_normal_): N(mean, std^2) conditioned on [a, b], drawn by
// rejection. Defaults mean 0, std 1, a -2, b 2 (absolute bounds, as PyTorch). The variance of the result is below
// std^2; variance_scaling with truncated_normal corrects for that instead.
#include "nnplug/plugin.hpp"

namespace {
class TruncatedNormal final : public nnplug::Initializer {
 public:
  TruncatedNormal(double mean, double std, double a, double b) : mean_(mean), std_(std), a_(a), b_(b) {}
  std::string type() const override { return "truncated_normal"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random& random) override {
    for (double& v : values) {
      do v = random.normal(mean_, std_); while (v < a_ || v > b_);
    }
  }

 private:
  double mean_, std_, a_, b_;
};
}  // namespace

NNPLUG_PLUGIN("truncated_normal", "0.1.0", "initializer:truncated_normal", 0) {
  registrar.add_initializer("truncated_normal", [](const nnplug::Params& p) {
    const double mean = p.number("mean", 0.0), std = p.number("std", 1.0, 0.0), a = p.number("a", -2.0),
                 b = p.number("b", 2.0);
    if (!(std > 0)) p.fail("std", "must be > 0");
    // Rejection sampling needs the interval to hold a reasonable share of the mass.
    if (!(a < b) || b < mean - 3 * std || a > mean + 3 * std)
      p.fail("b", "the interval [a, b] must overlap [mean - 3 std, mean + 3 std]");
    p.check_unused();
    return std::make_unique<TruncatedNormal>(mean, std, a, b);
  });
}
