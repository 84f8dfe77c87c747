// The cpu backend's recurrent cell ops (op::LstmCell, op::GruCell and their gradients) against the cells' equations
// written here in double: the forward values to 1e-12 in float64 and 1e-6 in float32, and each gradient against
// central differences of those equations.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

constexpr std::int64_t kRows = 3, kUnits = 5;
constexpr std::size_t kStates = kRows * kUnits;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Element (row, gate block, unit) of an (N, G units) matrix.
std::size_t at(std::size_t k, int gates, int block) { return k / kUnits * gates * kUnits + block * kUnits + k % kUnits; }

struct LstmStep {
  std::vector<double> gates, c, tanh_c, h;
};
LstmStep lstm(const std::vector<double>& pre, const std::vector<double>& c_prev) {
  LstmStep s{pre, std::vector<double>(kStates), std::vector<double>(kStates), std::vector<double>(kStates)};
  for (std::size_t k = 0; k < kStates; ++k) {
    const double i = sigmoid(pre[at(k, 4, 0)]), f = sigmoid(pre[at(k, 4, 1)]), g = std::tanh(pre[at(k, 4, 2)]), o = sigmoid(pre[at(k, 4, 3)]);
    s.gates[at(k, 4, 0)] = i, s.gates[at(k, 4, 1)] = f, s.gates[at(k, 4, 2)] = g, s.gates[at(k, 4, 3)] = o;
    s.c[k] = f * c_prev[k] + i * g;
    s.tanh_c[k] = std::tanh(s.c[k]);
    s.h[k] = o * s.tanh_c[k];
  }
  return s;
}

struct GruStep {
  std::vector<double> gates, h;
};
GruStep gru(const std::vector<double>& input, const std::vector<double>& hidden, const std::vector<double>& h_prev) {
  GruStep s{std::vector<double>(input.size()), std::vector<double>(kStates)};
  for (std::size_t k = 0; k < kStates; ++k) {
    const double r = sigmoid(input[at(k, 3, 0)] + hidden[at(k, 3, 0)]), z = sigmoid(input[at(k, 3, 1)] + hidden[at(k, 3, 1)]);
    const double n = std::tanh(input[at(k, 3, 2)] + r * hidden[at(k, 3, 2)]);
    s.gates[at(k, 3, 0)] = r, s.gates[at(k, 3, 1)] = z, s.gates[at(k, 3, 2)] = n;
    s.h[k] = (1 - z) * n + z * h_prev[k];
  }
  return s;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// d loss / d values[i] for every i, by central differences.
std::vector<double> numeric_gradient(std::vector<double> values, const std::function<double(const std::vector<double>&)>& loss) {
  std::vector<double> grad(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double keep = values[i], step = 1e-6;
    values[i] = keep + step;
    const double up = loss(values);
    values[i] = keep - step;
    grad[i] = (up - loss(values)) / (2 * step);
    values[i] = keep;
  }
  return grad;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tolerance, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tolerance * (1 + std::abs(want[i]))) << what << "[" << i << "]";
}

class RecurrentCellOps : public ::testing::TestWithParam<DType> {
 protected:
  double tolerance() const { return GetParam() == DType::Float64 ? 1e-12 : 1e-6; }
  double gradient_tolerance() const { return GetParam() == DType::Float64 ? 1e-8 : 1e-5; }  // central differences
  Tensor put(const std::vector<double>& v, std::int64_t width) const { return tensor(*be_, Shape{kRows, width}, v, GetParam()); }
  std::shared_ptr<Backend> be_ = cpu_backend();
};

TEST_P(RecurrentCellOps, LstmCellComputesTheCellAndItsGradientIsTheEquationsSlope) {
  const auto pre = random_normal(kStates * 4, 1), c_prev = random_normal(kStates, 2);
  const auto dh = random_normal(kStates, 3), dc_next = random_normal(kStates, 4);
  const LstmStep want = lstm(pre, c_prev);
  const Tensor gates = put(pre, 4 * kUnits), cp = put(c_prev, kUnits);
  const Tensor c = put(c_prev, kUnits), tanh_c = put(c_prev, kUnits), h = put(c_prev, kUnits);
  be_->run(op::LstmCell{gates, cp, c, tanh_c, h});
  expect_near(to_host<double>(gates), want.gates, tolerance(), "gates");
  expect_near(to_host<double>(c), want.c, tolerance(), "c");
  expect_near(to_host<double>(tanh_c), want.tanh_c, tolerance(), "tanh_c");
  expect_near(to_host<double>(h), want.h, tolerance(), "h");

  // The loss <dh, h> + <dc_next, c>: its slopes along the pre-activations and c_prev.
  const Tensor dc = put(dc_next, kUnits), dgates = put(pre, 4 * kUnits);
  be_->run(op::LstmCellGrad{gates, cp, tanh_c, put(dh, kUnits), dc, dgates});
  const auto loss = [&](const std::vector<double>& p, const std::vector<double>& cell) {
    const LstmStep s = lstm(p, cell);
    return dot(dh, s.h) + dot(dc_next, s.c);
  };
  expect_near(to_host<double>(dgates), numeric_gradient(pre, [&](const auto& p) { return loss(p, c_prev); }), gradient_tolerance(), "dgates");
  expect_near(to_host<double>(dc), numeric_gradient(c_prev, [&](const auto& cell) { return loss(pre, cell); }), gradient_tolerance(), "dc_prev");
}

TEST_P(RecurrentCellOps, GruCellComputesTheCellInPlaceAndItsGradientIsTheEquationsSlope) {
  const auto input = random_normal(kStates * 3, 5), hidden = random_normal(kStates * 3, 6), h_prev = random_normal(kStates, 7);
  const auto dh = random_normal(kStates, 8);
  const GruStep want = gru(input, hidden, h_prev);
  const Tensor gates = put(input, 3 * kUnits), hidden_part = put(hidden, 3 * kUnits), hp = put(h_prev, kUnits), h = put(h_prev, kUnits);
  be_->run(op::GruCell{gates, hidden_part, hp, gates, h});  // the gates over the inputs' part, as the layer runs it
  expect_near(to_host<double>(gates), want.gates, tolerance(), "gates");
  expect_near(to_host<double>(h), want.h, tolerance(), "h");

  // The loss <dh, h>: its slopes along the inputs' part, the hidden part and h_prev (where h_prev enters directly).
  const Tensor d_input = put(input, 3 * kUnits), d_hidden = put(input, 3 * kUnits), dh_prev = put(h_prev, kUnits);
  be_->run(op::GruCellGrad{gates, hidden_part, hp, put(dh, kUnits), d_input, d_hidden, dh_prev});
  expect_near(to_host<double>(d_input), numeric_gradient(input, [&](const auto& x) { return dot(dh, gru(x, hidden, h_prev).h); }),
              gradient_tolerance(), "d_input");
  expect_near(to_host<double>(d_hidden), numeric_gradient(hidden, [&](const auto& y) { return dot(dh, gru(input, y, h_prev).h); }),
              gradient_tolerance(), "d_hidden");
  expect_near(to_host<double>(dh_prev), numeric_gradient(h_prev, [&](const auto& y) { return dot(dh, gru(input, hidden, y).h); }),
              gradient_tolerance(), "dh_prev");
}

TEST_P(RecurrentCellOps, ACellRefusesStatesThatDoNotFitItsGates) {
  const Tensor gates = put(random_normal(kStates * 4, 1), 4 * kUnits), narrow = tensor(*be_, Shape{kRows, kUnits - 1}, random_normal(12, 2), GetParam());
  const Tensor state = put(random_normal(kStates, 3), kUnits);
  EXPECT_NE(error_of([&] { be_->run(op::LstmCell{gates, narrow, state, state, state}); }).find("lstm_cell: "), std::string::npos);
  const Tensor odd = tensor(*be_, Shape{kRows, 7}, random_normal(21, 4), GetParam());
  EXPECT_NE(error_of([&] { be_->run(op::GruCell{odd, odd, state, odd, state}); }).find("must be (N, 3 units)"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothDtypes, RecurrentCellOps, ::testing::Values(DType::Float64, DType::Float32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace nnplug::test
