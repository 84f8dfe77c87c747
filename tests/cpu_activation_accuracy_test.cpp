// The cpu backend's float32 activations (Eigen's vector exp, expm1, log1p, tanh and erf where float64 runs libm) against
// the closed forms in double, to a few float ulp over [-30, 30] and at the edges: infinities and NaN.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>


#include "test_support.hpp"

namespace nnplug::test {
namespace {

constexpr double kSeluScale = 1.0507009873554804934193349852946, kSeluAlpha = 1.6732632423543772848170429916717;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Function {
  const char* name;
  Pointwise fn;
  double (*value)(double);
  double (*slope)(double);     // null: the gradient reads y, and runs no libm
  bool value_cancels = false;  // a difference of two terms of about x's size: its error is relative to x where
  bool slope_cancels = false;  // the result is smaller
};

// Their defaults: elu's and celu's alpha 1, softplus' beta 1.
const std::vector<Function> kFunctions{
    {"sigmoid", Pointwise::Sigmoid, [](double x) { return sigmoid(x); }, nullptr },
    {"tanh", Pointwise::Tanh, [](double x) { return std::tanh(x); }, nullptr },
    {"silu", Pointwise::Silu, [](double x) { return x * sigmoid(x); },
     [](double x) { return sigmoid(x) * (1 + x * (1 - sigmoid(x))); }, false, true},
    {"elu", Pointwise::Elu, [](double x) { return x > 0 ? x : std::expm1(x); }, nullptr },
    {"selu", Pointwise::Selu, [](double x) { return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x)); }, nullptr },
    {"celu", Pointwise::Celu, [](double x) { return x > 0 ? x : std::expm1(x); }, [](double x) { return x > 0 ? 1.0 : std::exp(x); } },
    {"softplus", Pointwise::Softplus, [](double x) { return x > 20 ? x : std::log1p(std::exp(x)); },
     [](double x) { return x > 20 ? 1.0 : sigmoid(x); } },
    {"log_sigmoid", Pointwise::LogSigmoid, [](double x) { return std::min(x, 0.0) - std::log1p(std::exp(-std::abs(x))); },
     [](double x) { return sigmoid(-x); } },
    {"tanh_shrink", Pointwise::TanhShrink, [](double x) { return x - std::tanh(x); }, [](double x) { return std::tanh(x) * std::tanh(x); },
     true},
    // Phi(x) = erfc(-x / sqrt 2) / 2, exact in the negative tail; float's 1 + erf carries erf's absolute error there
    // (relative to x), as libm's erff does.
    {"gelu", Pointwise::Gelu, [](double x) { return x * 0.5 * std::erfc(-x / std::numbers::sqrt2); },
     [](double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }, true,
     true},
};

std::vector<double> inputs() {
  std::vector<double> x;
  for (int i = -6000; i <= 6000; ++i) x.push_back(static_cast<float>(i * 0.005));
  for (double v : {1e-6, -1e-6, 1e-30, -1e-30, 0.0}) x.push_back(v);
  return x;
}

// Within 4 float ulp of the closed form, relative to the result (or to x, where a difference cancels below it), or
// below float's smallest normal number.
void expect_close(const std::vector<double>& got, const std::vector<double>& x, double (*f)(double), bool cancels) {
  const double ulp = std::numeric_limits<float>::epsilon();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want = f(x[i]), scale = cancels ? std::max(std::abs(want), std::abs(x[i])) : std::abs(want);
    ASSERT_LE(std::abs(got[i] - want), 4 * ulp * scale + std::numeric_limits<float>::min()) << "x = " << x[i] << ": " << got[i] << ", the closed form " << want;
  }
}

TEST(CpuActivations, Float32ValuesAndSlopesAreWithinFourUlpOfTheClosedForms) {
  const auto be = cpu_backend();
  const std::vector<double> xv = inputs(), ones(xv.size(), 1.0);
  const Shape shape{static_cast<std::int64_t>(xv.size())};
  const Tensor x = tensor(*be, shape, xv, DType::Float32), dy = tensor(*be, shape, ones, DType::Float32);
  for (const Function& f : kFunctions) {
    SCOPED_TRACE(f.name);
    Tensor y = be->empty(shape, DType::Float32), dx = be->empty(shape, DType::Float32);
    be->run(op::Activation{x, y, f.fn});
    expect_close(to_host<double>(y), xv, f.value, f.value_cancels);
    if (!f.slope) continue;
    be->run(op::ActivationGrad{x, y, dy, dx, f.fn});
    expect_close(to_host<double>(dx), xv, f.slope, f.slope_cancels);
  }
}

// The floats from 1e-30 to 10 in bit order: each `dense_step`-th from `dense_from` to `dense_to`, each 4099th
// elsewhere.
std::vector<float> some_floats(float dense_from, float dense_to, std::uint32_t dense_step) {
  const auto bits = [](float v) { return std::bit_cast<std::uint32_t>(v); };
  std::vector<float> out;
  for (std::uint32_t b = bits(1e-30f); b < bits(10.0f); b += b >= bits(dense_from) && b <= bits(dense_to) ? dense_step : 4099)
    out.push_back(std::bit_cast<float>(b));
  return out;
}

// fn at each x within 2 float ulp of the closed form.
void expect_within_two_ulp(Pointwise fn, const std::vector<double>& xv, double (*closed_form)(double)) {
  const auto be = cpu_backend();
  const Shape shape{static_cast<std::int64_t>(xv.size())};
  Tensor y = be->empty(shape, DType::Float32);
  be->run(op::Activation{tensor(*be, shape, xv, DType::Float32), y, fn});
  const auto got = to_host<double>(y);
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const double want = closed_form(xv[i]), rounded = static_cast<float>(want);
    const double ulp = std::nextafter(static_cast<float>(std::abs(rounded)), 2.0f) - std::abs(rounded);
    ASSERT_LE(std::abs(got[i] - want), 2 * ulp) << "x = " << xv[i] << ": " << got[i] << ", the closed form " << want;
  }
}

// tanh switches from a polynomial to 1 - 2 / (e^2x + 1) at |x| = 0.55: every float from 0.5 to 0.6 and each 4099th
// beyond, to where tanh rounds to 1, of both signs (1.52 ulp at worst over every float, when its change was made).
TEST(CpuActivations, Float32TanhIsWithinTwoUlpOnEveryFloatAroundItsSwitchAndASampleOfTheRest) {
  std::vector<double> xv;
  for (const float v : some_floats(0.5f, 0.6f, 1)) xv.push_back(v), xv.push_back(-v);
  expect_within_two_ulp(Pointwise::Tanh, xv, [](double x) { return std::tanh(x); });
}

// elu's e^x - 1 switches from a polynomial to e^x - 1 at x = -0.7: every 3rd float from -0.8 to -0.1 and each 4099th
// beyond (1.06 ulp at worst over every negative float, when its change was made).
TEST(CpuActivations, Float32EluIsWithinTwoUlpAroundItsSwitchAndOnASampleOfTheRest) {
  std::vector<double> xv;
  for (const float v : some_floats(0.1f, 0.8f, 3)) xv.push_back(-v);
  expect_within_two_ulp(Pointwise::Elu, xv, [](double x) { return std::expm1(x); });
}

// +-inf give the closed form's limits (NaN where it has none, as silu at -inf: -inf * 0), and NaN stays NaN.
TEST(CpuActivations, Float32InfinitiesAndNanGiveWhatTheClosedFormsGive) {
  const auto be = cpu_backend();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> xv{inf, -inf, std::numeric_limits<double>::quiet_NaN()};
  const Tensor x = tensor(*be, Shape{3}, xv, DType::Float32);
  for (const Function& f : kFunctions) {
    Tensor y = be->empty(Shape{3}, DType::Float32);
    be->run(op::Activation{x, y, f.fn});
    const auto got = to_host<double>(y);
    for (std::size_t i = 0; i < xv.size(); ++i) {
      const double want = f.value(xv[i]);
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(got[i])) << f.name << " at " << xv[i] << ": " << got[i];
      else EXPECT_EQ(got[i], static_cast<float>(want)) << f.name << " at " << xv[i];
    }
  }
}

}  // namespace
}  // namespace nnplug::test
