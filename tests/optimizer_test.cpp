// Optimizer steps against closed-form values: the textbook's paths on f(x, y) = x^2/20 + y^2 from (-7, 2)
// (golden values in ../shared/reference/seeds_003_004.md, B.1.7), and its two-step scalar vectors.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <tuple>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

struct Path {
  std::vector<std::array<double, 2>> points;  // position before each update, as the chapter plots them
  std::array<double, 2> final{};              // position after the last update
};

// in_parts: x and y are two parameters, updated one at a time, y first, as data-parallel training updates each
// bucket of gradients once it is reduced (Optimizer::steps_in_parts).
Path follow(const Params::Json& optimizer, int steps, bool in_parts = false) {
  auto backend = cpu_backend();
  Parameter xy{"xy", tensor(*backend, Shape{2}, {-7.0, 2.0}), backend->empty(Shape{2}, DType::Float64)};
  Parameter x{"x", tensor(*backend, Shape{1}, {-7.0}), backend->empty(Shape{1}, DType::Float64)};
  Parameter y{"y", tensor(*backend, Shape{1}, {2.0}), backend->empty(Shape{1}, DType::Float64)};
  auto opt = registry().create_optimizer(Params("test", optimizer));
  if (in_parts) opt->attach({&x, &y});
  else opt->attach({&xy});
  const auto position = [&]() -> std::array<double, 2> {
    if (in_parts) return {to_host<double>(x.value)[0], to_host<double>(y.value)[0]};
    const auto v = to_host<double>(xy.value);
    return {v[0], v[1]};
  };
  Path path;
  for (int i = 0; i < steps; ++i) {
    const auto [px, py] = position();
    path.points.push_back({px, py});
    // grad f = (x/10, 2y)
    if (!in_parts) {
      from_host(xy.grad, std::vector<double>{px / 10.0, 2.0 * py});
      opt->step();
      continue;
    }
    from_host(x.grad, std::vector<double>{px / 10.0});
    from_host(y.grad, std::vector<double>{2.0 * py});
    EXPECT_TRUE(opt->steps_in_parts()) << optimizer.dump();
    opt->begin_step();
    opt->step_parameters({1});
    opt->step_parameters({0});
  }
  path.final = position();
  return path;
}

// The golden table gives 6 decimals.
constexpr double kTableTolerance = 1e-6;

void expect_point(const std::array<double, 2>& got, double x, double y, double tol, const char* what) {
  EXPECT_NEAR(got[0], x, tol) << what << " x";
  EXPECT_NEAR(got[1], y, tol) << what << " y";
}

TEST(OptimizerPath, SgdMatchesTheChapter) {
  const Path p = follow({{"type", "sgd"}, {"lr", 0.95}}, 30);
  expect_point(p.points[1], -6.335, -1.8, kTableTolerance, "point 2");
  expect_point(p.points[2], -5.733175, 1.62, kTableTolerance, "point 3");
  expect_point(p.points[29], -0.387175, -0.094203, kTableTolerance, "point 30");
  expect_point(p.final, -0.350393, 0.084782, kTableTolerance, "after 30 updates");
}

TEST(OptimizerPath, MomentumMatchesTheChapter) {
  // The chapter writes momentum the Keras way (v = 0.9 v - lr g; w += v); PyTorch's form gives the same path.
  const Path p = follow({{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}, 30);
  expect_point(p.points[1], -6.93, 1.6, kTableTolerance, "point 2");
  expect_point(p.points[2], -6.7977, 0.92, kTableTolerance, "point 3");
  expect_point(p.points[29], 0.814112, 0.272878, kTableTolerance, "point 30");
  expect_point(p.final, 0.896414, 0.088086, kTableTolerance, "after 30 updates");
}

TEST(OptimizerPath, AdaGradMatchesTheChapter) {
  // The chapter's AdaGrad adds eps = 1e-7 outside the root, PyTorch's form with another eps.
  const Path p = follow({{"type", "adagrad"}, {"lr", 1.5}, {"eps", 1e-7}}, 30);
  expect_point(p.points[1], -5.5, 0.5, kTableTolerance, "point 2");
  expect_point(p.points[2], -4.573268, 0.136197, kTableTolerance, "point 3");
  expect_point(p.points[29], -0.136185, 0.0, kTableTolerance, "point 30");
  expect_point(p.final, -0.120162, 0.0, kTableTolerance, "after 30 updates");
}

TEST(OptimizerPath, AdamMatchesTheChapter) {
  // The chapter's Adam folds eps = 1e-7 into the step; ours is PyTorch's (eps = 1e-8 outside the root of the
  // bias-corrected moment). The two forms differ by < 1e-5 along this path (computed in float64 by both forms).
  constexpr double kFormTolerance = 2e-5;
  const Path p = follow({{"type", "adam"}, {"lr", 0.3}}, 30);
  expect_point(p.points[1], -6.700001, 1.7, kFormTolerance, "point 2");
  expect_point(p.points[2], -6.400417, 1.402246, kFormTolerance, "point 3");
  expect_point(p.points[29], 0.020149, 0.321957, kFormTolerance, "point 30");
  expect_point(p.final, 0.136007, 0.318245, kFormTolerance, "after 30 updates");
}

TEST(OptimizerPath, EveryOptimizerTakenInPartsGoesTheChaptersPath) {
  const std::tuple<Params::Json, double, double, double> cases[] = {
      {{{"type", "sgd"}, {"lr", 0.95}}, -0.350393, 0.084782, kTableTolerance},
      {{{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}, 0.896414, 0.088086, kTableTolerance},
      {{{"type", "adagrad"}, {"lr", 1.5}, {"eps", 1e-7}}, -0.120162, 0.0, kTableTolerance},
      {{{"type", "adam"}, {"lr", 0.3}}, 0.136007, 0.318245, 2e-5},  // the form tolerance of AdamMatchesTheChapter
  };
  for (const auto& [optimizer, x, y, tolerance] : cases)
    expect_point(follow(optimizer, 30, true).final, x, y, tolerance, optimizer.dump().c_str());
}

TEST(OptimizerPath, APositionOutsideTheAttachedParametersIsRefused) {
  auto backend = cpu_backend();
  Parameter p{"w", tensor(*backend, Shape{1}, {1.0}), tensor(*backend, Shape{1}, {0.5})};
  auto opt = registry().create_optimizer(Params("test", {{"type", "adam"}}));
  opt->attach({&p});
  opt->begin_step();
  EXPECT_THROW(opt->step_parameters({1}), InvalidArgument);
}

// Scalar w0 = 1 with gradients 0.5 then -0.3 (the chapter's appendix vectors).
std::array<double, 2> two_steps(const Params::Json& optimizer) {
  auto backend = cpu_backend();
  Parameter p{"w", tensor(*backend, Shape{1}, {1.0}), backend->empty(Shape{1}, DType::Float64)};
  auto opt = registry().create_optimizer(Params("test", optimizer));
  opt->attach({&p});
  std::array<double, 2> out{};
  const double grads[] = {0.5, -0.3};
  for (int i = 0; i < 2; ++i) {
    from_host(p.grad, std::vector<double>{grads[i]});
    opt->step();
    out[static_cast<std::size_t>(i)] = to_host<double>(p.value)[0];
  }
  return out;
}

TEST(OptimizerSteps, Sgd) {
  const auto w = two_steps({{"type", "sgd"}, {"lr", 0.01}});
  EXPECT_NEAR(w[0], 0.995, 1e-12);
  EXPECT_NEAR(w[1], 0.998, 1e-12);
}

TEST(OptimizerSteps, Momentum) {
  const auto w = two_steps({{"type", "sgd"}, {"lr", 0.01}, {"momentum", 0.9}});
  EXPECT_NEAR(w[0], 0.995, 1e-12);
  EXPECT_NEAR(w[1], 0.9935, 1e-12);
}

TEST(OptimizerSteps, AdamPaperForm) {
  const auto w = two_steps({{"type", "adam"}, {"lr", 0.001}});
  EXPECT_NEAR(w[0], 0.999, 1e-9);
  EXPECT_NEAR(w[1], 0.998808502, 1e-9);
}

TEST(OptimizerSteps, NesterovAndWeightDecayFollowPyTorch) {
  // By hand from torch.optim.SGD's definition: lr 0.1, momentum 0.9, nesterov, weight_decay 0.1, w0 = 1.
  // step 1: d = 0.5 + 0.1*1 = 0.6; buf = 0.6; d = 0.6 + 0.9*0.6 = 1.14; w = 1 - 0.114 = 0.886
  // step 2: d = -0.3 + 0.0886 = -0.2114; buf = 0.54 - 0.2114 = 0.3286; d = -0.2114 + 0.29574 = 0.08434;
  //         w = 0.886 - 0.008434 = 0.877566
  const auto w = two_steps({{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}, {"weight_decay", 0.1}});
  EXPECT_NEAR(w[0], 0.886, 1e-12);
  EXPECT_NEAR(w[1], 0.877566, 1e-12);
}

TEST(OptimizerSteps, AmsgradKeepsTheLargestSecondMoment) {
  // lr 0.1, betas (0.5, 0.5), eps 0, gradients 0.5 then -0.3, by hand:
  // step 1: m = 0.25, v = 0.125, vmax = 0.125; w = 1 - 0.1/(0.5) * 0.25 / sqrt(0.125/0.5) = 1 - 0.1 = 0.9
  // step 2: m = -0.025, v = 0.1075, vmax = 0.125; w = 0.9 - 0.1/0.75 * -0.025 / sqrt(0.125/0.75) = 0.908164966
  const auto w = two_steps({{"type", "adam"}, {"lr", 0.1}, {"betas", {0.5, 0.5}}, {"eps", 0.0}, {"amsgrad", true}});
  EXPECT_NEAR(w[0], 0.9, 1e-12);
  EXPECT_NEAR(w[1], 0.9 + 0.1 / 0.75 * 0.025 / std::sqrt(0.125 / 0.75), 1e-12);
}

// In float32 the moving averages take 1 - beta computed in double and then rounded, as PyTorch's `alpha=1 - beta`:
// (float)(1 - 0.999) is 1e-3 to float precision, 1.0f - 0.999f is 9.99987e-4.
TEST(OptimizerSteps, Float32MovingAveragesUseOneMinusBetaRoundedFromDouble) {
  const float g = 3.0f;
  for (const auto& [spec, state, expected] : std::vector<std::tuple<Params::Json, std::string, float>>{
           {{{"type", "adam"}, {"lr", 1e-3}}, "exp_avg_sq", static_cast<float>(1.0 - 0.999) * g * g},
           {{{"type", "adam"}, {"lr", 1e-3}}, "exp_avg", static_cast<float>(1.0 - 0.9) * g},
           {{{"type", "rmsprop"}, {"lr", 1e-3}}, "square_avg", static_cast<float>(1.0 - 0.99) * g * g},
           {{{"type", "adadelta"}, {"lr", 1.0}}, "square_avg", static_cast<float>(1.0 - 0.9) * g * g}}) {
    auto backend = cpu_backend();
    Parameter p{"w", tensor(*backend, Shape{1}, {1.0}, DType::Float32), tensor(*backend, Shape{1}, {g}, DType::Float32)};
    auto opt = registry().create_optimizer(Params("test", spec));
    opt->attach({&p});
    opt->step();
    bool found = false;
    for (const auto& [name, value] : opt->state())
      if (name.find(state) != std::string::npos && name.find(state + "_") == std::string::npos) {
        EXPECT_EQ(to_host<float>(value)[0], expected) << spec.dump() << " " << name;
        found = true;
      }
    EXPECT_TRUE(found) << spec.dump() << ": no state named " << state;
  }
}

// LAMB's trust ratio is taken per parameter tensor, by hand: at step 1 with eps 0, Adam's direction is sign(g), plus
// the weight decay 0.1 w. w = [3, 4], g = [1, -2]: r = [1.3, -0.6], ||w|| / ||r|| = 5 / sqrt(2.05). A bias still all
// zeros, g = [0.5, -0.5]: r = [1, -1] and a ratio of 1 (||w|| = 0), so it moves by lr as Adam's would. One tensor
// holding both would take the ratio 5 / sqrt(4.05) for all four. Without the trust ratio, w moves by lr r.
TEST(OptimizerSteps, LambScalesEachParameterByItsOwnTrustRatio) {
  auto backend = cpu_backend();
  Parameter w{"w", tensor(*backend, Shape{2}, {3.0, 4.0}), tensor(*backend, Shape{2}, {1.0, -2.0})};
  Parameter b{"b", tensor(*backend, Shape{2}, {0.0, 0.0}), tensor(*backend, Shape{2}, {0.5, -0.5})};
  auto opt = registry().create_optimizer(Params("test", {{"type", "lamb"}, {"lr", 0.1}, {"eps", 0.0}, {"weight_decay", 0.1}}));
  opt->attach({&w, &b});
  opt->step();
  const double ratio = 5.0 / std::sqrt(2.05);
  const auto wv = to_host<double>(w.value), bv = to_host<double>(b.value);
  EXPECT_NEAR(wv[0], 3.0 - 0.1 * ratio * 1.3, 1e-12);
  EXPECT_NEAR(wv[1], 4.0 + 0.1 * ratio * 0.6, 1e-12);
  EXPECT_NEAR(bv[0], -0.1, 1e-12);
  EXPECT_NEAR(bv[1], 0.1, 1e-12);

  Parameter unadapted{"w", tensor(*backend, Shape{2}, {3.0, 4.0}), tensor(*backend, Shape{2}, {1.0, -2.0})};
  opt = registry().create_optimizer(
      Params("test", {{"type", "lamb"}, {"lr", 0.1}, {"eps", 0.0}, {"weight_decay", 0.1}, {"trust_ratio", false}}));
  opt->attach({&unadapted});
  opt->step();
  const auto uv = to_host<double>(unadapted.value);
  EXPECT_NEAR(uv[0], 3.0 - 0.1 * 1.3, 1e-12);
  EXPECT_NEAR(uv[1], 4.0 + 0.1 * 0.6, 1e-12);
}

// Adafactor's first step, by hand. A vector keeps g² itself, so U = sign(g) (RMS 1, unclipped) and the step is
// alpha = RMS(w) lr: w = [3, 4], RMS sqrt(12.5). A matrix keeps its row and column means: g = I (2 x 2) has both
// [0.5, 0.5], so every element's estimate is 0.5 0.5 / 0.5 and U = g / sqrt(0.5), of RMS 1; w = [[3, 4], [0, 0]] has
// RMS 2.5. The decoupled decay scales w by 1 - lr weight_decay first.
TEST(OptimizerSteps, AdafactorFirstStepsByHand) {
  auto backend = cpu_backend();
  Parameter v{"v", tensor(*backend, Shape{2}, {3.0, 4.0}), tensor(*backend, Shape{2}, {1.0, -2.0})};
  Parameter m{"m", tensor(*backend, Shape{2, 2}, {3.0, 4.0, 0.0, 0.0}), tensor(*backend, Shape{2, 2}, {1.0, 0.0, 0.0, 1.0})};
  auto opt = registry().create_optimizer(Params("test", {{"type", "adafactor"}, {"lr", 0.01}, {"weight_decay", 0.1}}));
  opt->attach({&v, &m});
  opt->step();
  const double keep = 1 - 0.01 * 0.1, alpha_v = std::sqrt(12.5) * 0.01, alpha_m = 2.5 * 0.01;
  const auto vv = to_host<double>(v.value), mv = to_host<double>(m.value);
  EXPECT_NEAR(vv[0], keep * 3 - alpha_v, 1e-12);
  EXPECT_NEAR(vv[1], keep * 4 + alpha_v, 1e-12);
  EXPECT_NEAR(mv[0], keep * 3 - alpha_m * std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(mv[1], keep * 4, 1e-12);
  EXPECT_NEAR(mv[2], 0.0, 1e-12);
  EXPECT_NEAR(mv[3], -alpha_m * std::sqrt(2.0), 1e-12);
}

// Step 2 after a small gradient: the variance 0.01 moves 2^-0.8 of the way to g² = 1, so |U| = 1 / sqrt(variance) > 1
// = d and the update is clipped to RMS d: each element moves by alpha = RMS(w) min(lr, 1 / sqrt(2)) exactly.
TEST(OptimizerSteps, AdafactorClipsAnUpdateWhoseRmsExceedsD) {
  auto backend = cpu_backend();
  Parameter w{"w", tensor(*backend, Shape{2}, {3.0, 4.0}), tensor(*backend, Shape{2}, {0.1, 0.1})};
  auto opt = registry().create_optimizer(Params("test", {{"type", "adafactor"}, {"lr", 0.01}}));
  opt->attach({&w});
  opt->step();
  const auto after_one = to_host<double>(w.value);
  EXPECT_NEAR(after_one[0], 3 - std::sqrt(12.5) * 0.01, 1e-12);  // sign(g) again
  from_host(w.grad, std::vector<double>{1.0, -1.0});
  opt->step();
  const double rms = std::sqrt((after_one[0] * after_one[0] + after_one[1] * after_one[1]) / 2), alpha = rms * 0.01;
  ASSERT_GT(1 / std::sqrt(0.01 + std::pow(2.0, -0.8) * (1 - 0.01)), 1.0);  // the update the clipping bounds
  const auto after_two = to_host<double>(w.value);
  EXPECT_NEAR(after_two[0], after_one[0] - alpha, 1e-12);
  EXPECT_NEAR(after_two[1], after_one[1] + alpha, 1e-12);
}

// The memory it is for: a 784 x 2048 weight keeps 784 + 2048 numbers (PyTorch's shapes and names), a bias its own
// size, and a convolution's [8, 3, 5, 5] kernel factors over its last two axes.
TEST(OptimizerState, AdafactorKeepsRowAndColumnMeansOfAMatrix) {
  auto backend = cpu_backend();
  Parameter weight{"w", backend->empty(Shape{784, 2048}, DType::Float32), backend->empty(Shape{784, 2048}, DType::Float32)};
  Parameter bias{"b", backend->empty(Shape{2048}, DType::Float32), backend->empty(Shape{2048}, DType::Float32)};
  Parameter kernel{"k", backend->empty(Shape{8, 3, 5, 5}, DType::Float32), backend->empty(Shape{8, 3, 5, 5}, DType::Float32)};
  auto opt = registry().create_optimizer(Params("test", {{"type", "adafactor"}}));
  opt->attach({&weight, &bias, &kernel});
  std::vector<std::pair<std::string, std::string>> state;
  for (const auto& [name, t] : opt->state()) state.emplace_back(name, t.shape().str());
  EXPECT_EQ(state, (std::vector<std::pair<std::string, std::string>>{{"0.row_var", "[784, 1]"},
                                                                     {"0.col_var", "[1, 2048]"},
                                                                     {"1.variance", "[2048]"},
                                                                     {"2.row_var", "[8, 3, 5, 1]"},
                                                                     {"2.col_var", "[8, 3, 1, 5]"}}));
}

// ASGD's average by hand: lambd 0 keeps the rate at lr = 0.1, so w = 1 moves by -0.1 a step under g = 1: 0.9, 0.8,
// 0.7, 0.6. With t0 0, step t averages with weight 1 / max(1, t - 1): the weights themselves at steps 1 and 2, then
// the mean of those since step 2: (0.8 + 0.7) / 2 and (0.8 + 0.7 + 0.6) / 3.
TEST(OptimizerState, AsgdAveragesTheWeightsFromStepT0On) {
  auto backend = cpu_backend();
  Parameter w{"w", tensor(*backend, Shape{1}, {1.0}), tensor(*backend, Shape{1}, {1.0})};
  auto opt = registry().create_optimizer(Params("test", {{"type", "asgd"}, {"lr", 0.1}, {"lambd", 0.0}, {"t0", 0}}));
  opt->attach({&w});
  const std::vector<double> averages{0.9, 0.8, 0.75, 0.7};
  for (std::size_t t = 0; t < averages.size(); ++t) {
    opt->step();
    EXPECT_NEAR(to_host<double>(w.value)[0], 0.9 - 0.1 * static_cast<double>(t), 1e-12);
    ASSERT_EQ(opt->state().front().first, "0.ax");
    EXPECT_NEAR(to_host<double>(opt->state().front().second)[0], averages[t], 1e-12) << "after step " << t + 1;
  }
}

// FTRL without l1 and l2 steps as Adagrad without eps, w -= lr g / sqrt(n), whatever the rate at each step: rates
// that change (a schedule) move the weights by the gradient alone (Keras's would scale them with the rate), a zero
// gradient keeps them, and a step at rate 0 changes nothing, the accumulator included.
TEST(OptimizerSteps, FtrlTakesEachStepsRateAsAdagradWould) {
  auto backend = cpu_backend();
  Parameter w{"w", tensor(*backend, Shape{2}, {0.7, -1.2}), backend->empty(Shape{2}, DType::Float64)};
  auto opt = registry().create_optimizer(Params("test", {{"type", "ftrl"}, {"lr", 0.1}, {"initial_accumulator_value", 0.5}}));
  opt->attach({&w});
  std::vector<double> expected{0.7, -1.2}, n{0.5, 0.5};
  const double rates[] = {0.1, 0.4, 0.0, 0.05, 0.2};
  const std::vector<std::vector<double>> grads{{0.3, -0.2}, {0.0, 0.0}, {1.0, 2.0}, {-0.5, 0.25}, {0.1, 0.0}};
  for (std::size_t t = 0; t < grads.size(); ++t) {
    opt->set_learning_rate(rates[t]);
    from_host(w.grad, grads[t]);
    opt->step();
    for (std::size_t i = 0; i < 2 && rates[t] > 0; ++i) {
      n[i] += grads[t][i] * grads[t][i];
      expected[i] -= rates[t] * grads[t][i] / std::sqrt(n[i]);
    }
    const auto got = to_host<double>(w.value);
    for (std::size_t i = 0; i < 2; ++i) EXPECT_NEAR(got[i], expected[i], 1e-12) << "weight " << i << " after step " << t + 1;
  }
}

TEST(OptimizerParams, BadValuesNameTheParameter) {
  EXPECT_THROW(registry().create_optimizer(Params("optimizer", {{"type", "sgd"}})), InvalidArgument);  // lr required
  try {
    registry().create_optimizer(Params("optimizer", {{"type", "adam"}, {"lr", "fast"}}));
    FAIL() << "a string lr was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "optimizer: parameter 'lr' must be a number, got \"fast\"");
  }
  try {
    registry().create_optimizer(Params("optimizer", {{"type", "adam"}, {"learning_rate", 0.1}}));
    FAIL() << "an unknown parameter was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "optimizer: unknown parameter 'learning_rate' (it takes: amsgrad, betas, eps, lr, type, weight_decay) (Keras's "
                           "'learning_rate' is nnplug's 'lr')");
  }
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", {{"type", "lars"}, {"lr", 1.0}, {"nesterov", true}})); }),
            "optimizer: parameter 'nesterov' needs a momentum and zero dampening, as torch.optim.SGD's (momentum 0, dampening 0)");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", Params::Json::parse(R"({"type": "rprop", "etas": [1.2, 0.5]})"))); }),
            "optimizer: parameter 'etas' must be [etaminus, etaplus] with 0 <= etaminus < 1 < etaplus, as PyTorch's, got [1.2, 0.5]");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", Params::Json::parse(R"({"type": "rprop", "step_sizes": [1, 0.1]})"))); }),
            "optimizer: parameter 'step_sizes' must be [min, max] with min <= max, got [1, 0.1]");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", {{"type", "adafactor"}, {"d", 0.5}})); }),
            "optimizer: parameter 'd' must be >= 1, got 0.5");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", {{"type", "adafactor"}, {"beta2_decay", 0.8}})); }),
            "optimizer: parameter 'beta2_decay' must be <= 0, got 0.8");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", Params::Json::parse(R"({"type": "adafactor", "eps": [null]})"))); }),
            "optimizer: parameter 'eps' must be [eps1, eps2], numbers >= 0 (a null eps1: the dtype's machine epsilon), got [null]");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", Params::Json::parse(R"({"type": "adafactor", "eps": [1e-30, -1]})"))); }),
            "optimizer: parameter 'eps' must be [eps1, eps2], numbers >= 0 (a null eps1: the dtype's machine epsilon), got [1e-30,-1]");
  EXPECT_EQ(error_of([] { registry().create_optimizer(Params("optimizer", {{"type", "ftrl"}, {"learning_rate_power", 0.5}})); }),
            "optimizer: parameter 'learning_rate_power' must be <= 0, got 0.5");
}

}  // namespace
}  // namespace nnplug::test
