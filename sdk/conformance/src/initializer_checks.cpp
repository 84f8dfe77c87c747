#include <cmath>

#include <fmt/format.h>

#include "nnplug/conformance/component_checks.hpp"
#include "nnplug/random.hpp"

namespace nnplug::conformance {

namespace {

std::vector<double> draw(Initializer& init, std::uint64_t seed) {
  std::vector<double> v(100 * 100);
  Random random(seed);
  init.generate(v, InitTarget{Shape{100, 100}, 100, 100}, random);
  return v;
}

std::pair<double, double> mean_std(const std::vector<double>& v) {
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / static_cast<double>(v.size()))};
}

}  // namespace

CheckResult check_initializer_determinism(Initializer& init) {
  CheckResult r{fmt::format("{} seeded determinism", init.type())};
  const auto a = draw(init, 5), b = draw(init, 5);
  for (double x : a)
    if (!std::isfinite(x)) {
      r.passed = false;
      r.detail = "a value is not finite";
      return r;
    }
  if (a != b) {
    r.passed = false;
    r.detail = "the same seed gave different values";
    return r;
  }
  const auto [mean, std] = mean_std(a);
  r.detail = fmt::format("100 x 100 weight: mean {:g}, std {:g}", mean, std);
  return r;
}

CheckResult check_initializer_statistics(Initializer& init, double mean, double std, double tolerance) {
  CheckResult r{fmt::format("{} statistics", init.type())};
  const auto [m, s] = mean_std(draw(init, 6));
  r.detail = fmt::format("mean {:g} (expected {:g}), std {:g} (expected {:g}), tolerance {:g}", m, mean, s, std, tolerance);
  r.passed = std::abs(m - mean) <= tolerance && std::abs(s - std) <= tolerance;
  return r;
}

}  // namespace nnplug::conformance
