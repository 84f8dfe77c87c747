// Initializers: sample mean and variance against their formulas within sampling error, and seeded determinism.
#include <gtest/gtest.h>

#include <algorithm>
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

TEST(Initializer, ConstantAndUniform) {
  for (double x : draw("constant", {{"value", 0.3}}, 1, 1)) ASSERT_EQ(x, 0.3);
  const auto u = draw("uniform", {{"a", -1.0}, {"b", 3.0}}, 1, 1);
  for (double x : u) ASSERT_TRUE(x >= -1.0 && x < 3.0);
  expect_moments(u, 1.0, 16.0 / 12.0);
}

TEST(Initializer, HeUniformXavierNormalAndLeCun) {
  const auto he = draw("he_uniform", {}, 50, 7);
  for (double x : he) ASSERT_LE(std::abs(x), std::sqrt(6.0 / 50));
  expect_moments(he, 0.0, 2.0 / 50);
  expect_moments(draw("xavier_normal", {}, 30, 70), 0.0, 2.0 / 100);
  const auto lu = draw("lecun_uniform", {}, 40, 3);
  for (double x : lu) ASSERT_LE(std::abs(x), std::sqrt(3.0 / 40));
  expect_moments(lu, 0.0, 1.0 / 40);
  // lecun_normal truncates at 2 standard deviations of the widened normal and keeps variance 1 / fan_in.
  const auto ln = draw("lecun_normal", {}, 25, 3);
  for (double x : ln) ASSERT_LE(std::abs(x), 2 * std::sqrt(1.0 / 25) / 0.87962566103423978 + 1e-12);
  expect_moments(ln, 0.0, 1.0 / 25);
}

TEST(Initializer, VarianceScalingHonoursScaleModeAndDistribution) {
  expect_moments(draw("variance_scaling", {{"scale", 2.0}, {"mode", "fan_avg"}, {"distribution", "uniform"}}, 30, 10),
                 0.0, 2.0 / 20);
  expect_moments(draw("variance_scaling", {{"scale", 0.5}, {"mode", "fan_out"}, {"distribution", "normal"}}, 30, 10),
                 0.0, 0.5 / 10);
}

TEST(Initializer, TruncatedNormalHasTheTruncatedVariance) {
  // N(0, 1) conditioned on [-2, 2]: variance 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.773741.
  const auto v = draw("truncated_normal", {}, 1, 1);
  for (double x : v) ASSERT_LE(std::abs(x), 2.0);
  expect_moments(v, 0.0, 0.773741);
}

TEST(Initializer, TruncatedNormalFollowsTheOneSidedClosedFormAndEndsForAnyStd) {
  // N(0, 1) on [0, 3]: mean (phi(0) - phi(3)) / Z = 0.791157, variance 1 - 3 phi(3) / Z - mean^2 = 0.347408, with
  // Z = Phi(3) - Phi(0).
  const auto v = draw("truncated_normal", {{"a", 0.0}, {"b", 3.0}}, 1, 1);
  for (double x : v) ASSERT_TRUE(x >= 0.0 && x <= 3.0) << x;
  expect_moments(v, 0.791157, 0.347408);
  // [-2, 2] holds almost none of N(0, 1e300^2)'s mass: rejection sampling never ended; the inverse CDF gives the
  // mean, as PyTorch does.
  for (double x : draw("truncated_normal", {{"std", 1e300}}, 1, 1)) ASSERT_EQ(x, 0.0);
  // N(0, 1e4^2) on [-2, 2] is uniform there to within 2e-8: variance 4 / 3.
  expect_moments(draw("truncated_normal", {{"std", 1e4}}, 1, 1), 0.0, 4.0 / 3.0);
}

std::vector<double> draw_matrix(const Params::Json& spec, std::int64_t rows, std::int64_t cols) {
  auto init = registry().create_initializer(Params("test", spec));
  std::vector<double> v(static_cast<std::size_t>(rows * cols));
  Random random(3);
  init->generate(v, InitTarget{Shape{rows, cols}, cols, rows}, random);
  return v;
}

TEST(Initializer, SparseConnectsExactlyKInputsPerUnit) {
  const auto w = draw_matrix({{"type", "sparse"}, {"nonzero", 10}}, 50, 200);
  for (int r = 0; r < 50; ++r)
    EXPECT_EQ(std::count_if(w.begin() + r * 200, w.begin() + (r + 1) * 200, [](double x) { return x != 0.0; }), 10) << r;
  const auto few = draw_matrix({{"type", "sparse"}, {"nonzero", 10}}, 3, 4);  // fewer inputs than k: all connected
  EXPECT_EQ(std::count(few.begin(), few.end(), 0.0), 0);
}

TEST(Initializer, OrthogonalRowsOrColumnsAreOrthonormal) {
  for (auto [rows, cols] : {std::pair{8, 20}, std::pair{20, 8}}) {
    const auto w = draw_matrix({{"type", "orthogonal"}, {"gain", 2.0}}, rows, cols);
    const int k = std::min(rows, cols);
    for (int a = 0; a < k; ++a)
      for (int b = 0; b < k; ++b) {
        double dot = 0;  // rows of W when rows <= cols, else columns
        for (int i = 0; i < std::max(rows, cols); ++i)
          dot += rows <= cols ? w[static_cast<std::size_t>(a * cols + i)] * w[static_cast<std::size_t>(b * cols + i)]
                              : w[static_cast<std::size_t>(i * cols + a)] * w[static_cast<std::size_t>(i * cols + b)];
        EXPECT_NEAR(dot, a == b ? 4.0 : 0.0, 1e-12);
      }
  }
}

// PyTorch's eye_ and dirac_, by hand: gain on the diagonal of a wide matrix; for a conv2d weight [4, 2, 3, 3] in 2
// groups of 2 filters, filter g 2 + d takes channel d at the kernel's centre (1, 1), offset 4 of its 9.
TEST(Initializer, EyeAndDiracPlaceTheirOnesAsPyTorch) {
  EXPECT_EQ(draw_matrix({{"type", "eye"}, {"gain", 2.0}}, 3, 5),
            (std::vector<double>{2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0}));
  auto dirac = registry().create_initializer(Params("test", {{"type", "dirac"}, {"groups", 2}}));
  std::vector<double> w(4 * 2 * 9, 7.0);
  Random random(3);
  dirac->generate(w, InitTarget{Shape{4, 2, 3, 3}}, random);
  std::vector<double> want(w.size(), 0.0);
  for (const std::size_t at : {0 * 18 + 0 * 9 + 4, 1 * 18 + 1 * 9 + 4, 2 * 18 + 0 * 9 + 4, 3 * 18 + 1 * 9 + 4}) want[at] = 1.0;
  EXPECT_EQ(w, want);
  std::vector<double> v(5);
  EXPECT_EQ(error_of([&] { registry().create_initializer(Params("test", "eye"))->generate(v, InitTarget{Shape{5}}, random); }),
            "eye initializes a 2-D weight (rows, columns), as PyTorch's eye_, got [5]");
  std::vector<double> conv(3 * 2 * 3);
  EXPECT_EQ(error_of([&] { dirac->generate(conv, InitTarget{Shape{3, 2, 3}}, random); }), "dirac: groups 2 does not divide the weight [3, 2, 3]'s 3 filters");
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
