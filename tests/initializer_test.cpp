// Initializers: sample mean and variance against their formulas within sampling error, and seeded determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

constexpr std::size_t kSamples = 200000;

std::vector<double> draw(const char* name, const Params::Json& extra, std::int64_t fan_in, std::int64_t fan_out,
                         std::uint64_t seed = 11) {
  Params::Json j = extra;
  j["type"] = name;
  auto init = registry().create_initializer(Params("test", j));
  std::vector<double> v(kSamples);
  Random random(seed);
  init->generate(v, InitTarget{Shape{static_cast<std::int64_t>(kSamples)}, fan_in, fan_out}, random);
  return v;
}

// The sample mean has standard error sqrt(var / n); the sample variance about var * sqrt(2 / n) (normal) or
// less (uniform). Five standard errors: a correct initializer fails about once in 3 million runs.
void expect_moments(const std::vector<double>& v, double mean, double var) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  for (double x : v) s += (x - m) * (x - m);
  s /= static_cast<double>(v.size() - 1);
  const double n = static_cast<double>(v.size());
  EXPECT_NEAR(m, mean, 5 * std::sqrt(var / n));
  EXPECT_NEAR(s, var, 5 * var * std::sqrt(2.0 / n));
}

TEST(Initializer, ZerosAreZero) {
  for (double x : draw("zeros", {}, 3, 4)) ASSERT_EQ(x, 0.0);
}

TEST(Initializer, NormalHasItsMeanAndStd) { expect_moments(draw("normal", {{"mean", 0.5}, {"std", 0.01}}, 1, 1), 0.5, 1e-4); }

TEST(Initializer, XavierUniformHasVarianceTwoOverFanSum) {
  const auto v = draw("xavier_uniform", {}, 300, 100);
  const double a = std::sqrt(6.0 / 400.0);
  for (double x : v) ASSERT_LE(std::abs(x), a);
  expect_moments(v, 0.0, a * a / 3.0);  // = 2 / (fan_in + fan_out)
}

TEST(Initializer, HeNormalHasVarianceTwoOverFanIn) {
  expect_moments(draw("he_normal", {}, 256, 10), 0.0, 2.0 / 256.0);
  expect_moments(draw("he_normal", {{"mode", "fan_out"}}, 256, 10), 0.0, 2.0 / 10.0);
}

TEST(Initializer, SameSeedSameValuesOtherSeedOtherValues) {
  EXPECT_EQ(draw("he_normal", {}, 10, 10, 5), draw("he_normal", {}, 10, 10, 5));
  EXPECT_NE(draw("he_normal", {}, 10, 10, 5), draw("he_normal", {}, 10, 10, 6));
}

TEST(Initializer, BadModeIsNamed) {
  try {
    registry().create_initializer(Params("layers[0] weight_init", {{"type", "he_normal"}, {"mode", "fan_sum"}}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "layers[0] weight_init: parameter 'mode' must be \"fan_in\", \"fan_out\" or \"fan_avg\", got \"fan_sum\"");
  }
}

}  // namespace
}  // namespace nnplug::test
