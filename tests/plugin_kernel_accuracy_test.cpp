// Plugin kernels that compute float32 in float at the CPU's vector width (plugins/shared/vector_exp.hpp's exp)
// against their closed forms in double, over [-30, 30] in steps of about 0.004 and at 0: gelu_tanh and glu.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nnplug/custom_op.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// gelu_tanh's closed form, 0.5 x (1 + tanh u), u = sqrt(2 / pi) (x + 0.044715 x^3), and its slope.
double gelu_tanh(double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x))); }
double gelu_tanh_slope(double x) {
  const double k = std::sqrt(2.0 / std::numbers::pi), t = std::tanh(k * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x);
}

// Within 1e-6 of the closed form relative to max(1, |closed form|): about 8 float ulp near 1. Where the result is far
// below 1 (the negative tail, e^2u), its relative error grows with |u| times u's own rounding, as PyTorch's float
// tanh form does; the conformance kit's bound is 1e-5.
void expect_close(const std::vector<double>& got, const std::vector<double>& x, double (*closed_form)(double)) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want = closed_form(x[i]);
    ASSERT_LE(std::abs(got[i] - want), 1e-6 * std::max(1.0, std::abs(want))) << "x = " << x[i] << ": " << got[i] << ", the closed form " << want;
  }
}

// 0 and [-30, 30] in steps of 0.0037, as float32 holds them.
std::vector<double> grid() {
  std::vector<double> xv{0.0};
  for (double v = -30.0; v <= 30.0; v += 0.0037) xv.push_back(static_cast<float>(v));
  return xv;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

TEST(PluginKernelAccuracy, Float32GeluTanhAndItsSlopeAreWithinOneMillionthOfTheClosedForms) {
  auto cpu = registry().create_backend(Params("test", "cpu"));
  const std::vector<double> xv = grid();
  const Shape shape{static_cast<std::int64_t>(xv.size())};
  const Tensor x = tensor(*cpu, shape, xv, DType::Float32), ones = tensor(*cpu, shape, std::vector<double>(xv.size(), 1.0), DType::Float32);
  Tensor y = cpu->empty(shape, DType::Float32), dx = cpu->empty(shape, DType::Float32);
  BoundOp(registry().find_op("gelu_tanh"), *cpu, DType::Float32)({x}, {y});
  expect_close(to_host<double>(y), xv, gelu_tanh);
  BoundOp(registry().find_op("gelu_tanh_grad"), *cpu, DType::Float32)({x, y, ones}, {dx});
  expect_close(to_host<double>(dx), xv, gelu_tanh_slope);
}

// glu over (1, 2, n): a = 1.5 everywhere, b on the grid; y = a sigmoid(b), and with dy = 1, da = sigmoid(b) and
// db = a sigmoid(b) (1 - sigmoid(b)).
TEST(PluginKernelAccuracy, Float32GluAndItsGradientAreWithinOneMillionthOfTheClosedForms) {
  auto cpu = registry().create_backend(Params("test", "cpu"));
  const std::vector<double> b = grid();
  const auto n = static_cast<std::int64_t>(b.size());
  std::vector<double> xv(b.size(), 1.5);
  xv.insert(xv.end(), b.begin(), b.end());
  const Tensor x = tensor(*cpu, Shape{1, 2, n}, xv, DType::Float32);
  const Tensor ones = tensor(*cpu, Shape{1, 1, n}, std::vector<double>(b.size(), 1.0), DType::Float32);
  Tensor y = cpu->empty(Shape{1, 1, n}, DType::Float32), dx = cpu->empty(Shape{1, 2, n}, DType::Float32);
  const BoundOp::NamedValues dim{{"dim", std::int64_t{1}}};
  BoundOp(registry().find_op("glu"), *cpu, DType::Float32)({x}, {y}, dim);
  expect_close(to_host<double>(y), b, [](double v) { return 1.5 * sigmoid(v); });
  BoundOp(registry().find_op("glu_grad"), *cpu, DType::Float32)({x, y, ones}, {dx}, dim);
  const auto got = to_host<double>(dx);
  expect_close(std::vector<double>(got.begin(), got.begin() + n), b, sigmoid);
  expect_close(std::vector<double>(got.begin() + n, got.end()), b, [](double v) { return 1.5 * sigmoid(v) * (1.0 - sigmoid(v)); });
}

}  // namespace
}  // namespace nnplug::test
