// Initializer 'truncated_normal' (torch.nn.init.trunc_normal_): N(mean, std^2) conditioned on [a, b], drawn as
// PyTorch draws it, by the inverse of the normal CDF at a uniform draw between the CDF's values at a and b (rejection
// sampling, redrawing until a value lands in [a, b], looped for ever where the interval holds almost none of the
// mass: std 1e300 with the default bounds). Defaults mean 0, std 1, a -2, b 2 (absolute bounds, as PyTorch). The
// variance of the result is below std^2; variance_scaling with truncated_normal corrects for that instead.
#include <algorithm>
#include <cmath>

#include <boost/math/special_functions/erf.hpp>

#include "nnplug/plugin.hpp"

namespace {

// Phi^-1 at +-1 is infinite: returned as such (and clamped to [a, b]) rather than thrown.
using InfinityAtTheEnds = boost::math::policies::policy<boost::math::policies::overflow_error<boost::math::policies::ignore_error>>;

class TruncatedNormal final : public nnplug::Initializer {
 public:
  TruncatedNormal(double mean, double std, double a, double b)
      : mean_(mean), std_(std), a_(a), b_(b), low_(cdf(a)), high_(cdf(b)) {}
  std::string type() const override { return "truncated_normal"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random& random) override {
    for (double& v : values) {
      const double u = random.uniform(low_, high_);  // in [Phi(alpha), Phi(beta)], so 2u - 1 in [-1, 1]
      v = std::clamp(mean_ + std_ * std::sqrt(2.0) * boost::math::erf_inv(2.0 * u - 1.0, InfinityAtTheEnds()), a_, b_);
    }
  }

 private:
  double mean_, std_, a_, b_, low_, high_;
  double cdf(double x) const { return 0.5 * std::erfc(-(x - mean_) / (std_ * std::sqrt(2.0))); }
};

}  // namespace

NNPLUG_PLUGIN("truncated_normal", "0.1.0", "initializer:truncated_normal", 0) {
  registrar.add_initializer("truncated_normal", [](const nnplug::Params& p) {
    const double mean = p.number("mean", 0.0), std = p.number("std", 1.0, 0.0), a = p.number("a", -2.0),
                 b = p.number("b", 2.0);
    if (!(std > 0)) p.fail("std", "must be > 0");
    // Far in a tail the CDF's values at a and b round to the same double, and every draw would be one of the bounds.
    if (!(a < b) || b < mean - 3 * std || a > mean + 3 * std)
      p.fail("b", "the interval [a, b] must overlap [mean - 3 std, mean + 3 std]");
    p.check_unused();
    return std::make_unique<TruncatedNormal>(mean, std, a, b);
  });
}
