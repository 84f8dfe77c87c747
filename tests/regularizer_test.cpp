// Regularizers (penalties and constraints) and gradient transforms against closed forms; their attachment to
// layers from a spec; an activity penalty's gradient against centered differences.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/model.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
}

double penalize(const Json& spec, const std::vector<double>& w, std::vector<double>& grad) {
  auto be = cpu_backend();
  auto reg = registry().create_regularizer(Params("test", spec));
  Tensor wt = tensor(*be, Shape{static_cast<std::int64_t>(w.size())}, w);
  Tensor gt = tensor(*be, wt.shape(), grad);
  Tensor value = be->empty(Shape{1}, DType::Float64);
  reg->penalize(wt, gt, 1.0, value);
  grad = to_host<double>(gt);
  return to_host<double>(value)[0];
}

TEST(Regularizer, L2IsHalfLambdaSumOfSquares) {
  std::vector<double> g{1, 1, 1};
  EXPECT_DOUBLE_EQ(penalize({{"type", "l2"}, {"lambda", 0.1}}, {1, -2, 3}, g), 0.05 * 14);
  expect_near_all(g, {1.1, 0.8, 1.3});
}

TEST(Regularizer, L1IsLambdaSumOfAbsoluteValues) {
  std::vector<double> g{0, 0, 0};
  EXPECT_DOUBLE_EQ(penalize({{"type", "l1"}, {"lambda", 0.5}}, {1, -2, 0}, g), 1.5);
  EXPECT_EQ(g, (std::vector<double>{0.5, -0.5, 0.0}));
}

TEST(Regularizer, ElasticAddsBoth) {
  std::vector<double> g{0, 0};
  EXPECT_DOUBLE_EQ(penalize({{"type", "elastic"}, {"l1", 0.5}, {"l2", 0.2}}, {2, -1}, g), 0.5 * 3 + 0.1 * 5);
  expect_near_all(g, {0.5 + 0.4, -0.5 - 0.2});
}

std::vector<double> constrained(const char* type, std::vector<double> w) {
  auto be = cpu_backend();
  Tensor t = tensor(*be, Shape{2, 2}, w);
  registry().create_regularizer(Params("test", type))->constrain(t);
  return to_host<double>(t);
}

TEST(Regularizer, ConstraintsProjectEachUnit) {
  // Rows are units' incoming weights: [3, 4] has norm 5, [0.3, 0.4] norm 0.5.
  expect_near_all(constrained("max_norm", {3, 4, 0.3, 0.4}), {1.2, 1.6, 0.3, 0.4});  // max_value 2
  expect_near_all(constrained("unit_norm", {3, 4, 0.3, 0.4}), {0.6, 0.8, 0.6, 0.8});
  EXPECT_EQ(constrained("non_neg", {-1, 2, 0, -0.5}), (std::vector<double>{0, 2, 0, 0}));
}

TEST(Regularizer, NegativeStrengthIsRejected) {
  try {
    registry().create_regularizer(Params("layers[0] (dense) weight_regularizer", {{"type", "l2"}, {"lambda", -0.1}}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "layers[0] (dense) weight_regularizer: parameter 'lambda' must be >= 0, got -0.1");
  }
}

// A one-layer model trained for a few SGD steps, with weight decay in the optimizer or an l2 regularizer.
std::vector<double> train_dense(const Json& optimizer, std::vector<Attachment> attachments) {
  auto be = cpu_backend();
  Model model(be, DType::Float64);
  model.add(registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}})), "dense", std::move(attachments));
  model.build(Shape{4}, registry(), 1);
  auto loss = registry().create_loss(Params("test", "mse"));
  auto opt = registry().create_optimizer(Params("test", optimizer));
  opt->attach(model.parameters());
  Tensor x = tensor(*be, Shape{5, 4}, random_normal(20, 2)), t = tensor(*be, Shape{5, 3}, random_normal(15, 3));
  Tensor value = be->empty(Shape{1}, DType::Float64), grad = be->empty(Shape{5, 3}, DType::Float64);
  for (int step = 0; step < 4; ++step) {
    loss->compute(model.forward(x), t, value, grad);
    model.backward(grad);
    model.apply_penalties();
    opt->step();
    model.apply_constraints();
  }
  return to_host<double>(model.parameters()[0]->value);
}

TEST(Regularizer, L2EqualsPyTorchWeightDecay) {
  // weight_decay applies to the bias too, so the l2 regularizer is attached to both.
  const auto decayed = train_dense({{"type", "sgd"}, {"lr", 0.1}, {"weight_decay", 0.3}}, {});
  auto l2 = registry().create_regularizer(Params("test", {{"type", "l2"}, {"lambda", 0.3}}));
  const auto regularized = train_dense({{"type", "sgd"}, {"lr", 0.1}}, {{"weight", l2}, {"bias", l2}});
  ASSERT_EQ(decayed.size(), regularized.size());
  for (std::size_t i = 0; i < decayed.size(); ++i) EXPECT_NEAR(decayed[i], regularized[i], 1e-12);
}

TEST(Regularizer, MaxNormHoldsAfterEveryStep) {
  auto c = registry().create_regularizer(Params("test", {{"type", "max_norm"}, {"max_value", 0.1}}));
  const auto w = train_dense({{"type", "sgd"}, {"lr", 0.5}}, {{"weight", c}});
  for (int r = 0; r < 3; ++r) {
    double sq = 0;
    for (int k = 0; k < 4; ++k) sq += w[static_cast<std::size_t>(r * 4 + k)] * w[static_cast<std::size_t>(r * 4 + k)];
    EXPECT_LE(std::sqrt(sq), 0.1 + 1e-12);
  }
}

TEST(Regularizer, AttachmentToAMissingParameterNamesTheOnesThatExist) {
  auto be = cpu_backend();
  Model model(be, DType::Float64);
  model.add(registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}})), "layers[0] (dense)",
            {{"kernel", registry().create_regularizer(Params("test", {{"type", "l2"}, {"lambda", 0.1}}))}});
  try {
    model.build(Shape{4}, registry(), 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "layers[0] (dense): kernel_regularizer names no parameter of this layer (it has: weight, bias) (Keras's "
                           "'kernel_regularizer' is nnplug's 'weight_regularizer')");
  }
}

TEST(Regularizer, ActivityPenaltyGradientMatchesCenteredDifferences) {
  // L(W) = mean over the batch of lambda / 2 ||y||^2 for y = dense(x): its gradient reaches W through backward.
  auto be = cpu_backend();
  Model model(be, DType::Float64);
  model.add(registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}})), "dense",
            {{"activity", registry().create_regularizer(Params("test", {{"type", "l2"}, {"lambda", 0.7}}))}});
  model.build(Shape{4}, registry(), 5);
  Tensor x = tensor(*be, Shape{6, 4}, random_normal(24, 6));
  auto objective = [&] {
    model.forward(x);
    return model.penalty();
  };
  objective();
  Tensor zero = tensor(*be, Shape{6, 3}, std::vector<double>(18, 0.0));
  model.backward(zero);  // only the activity penalty's gradient flows
  Parameter* w = model.parameters()[0];
  const auto analytic = to_host<double>(w->grad);
  auto values = to_host<double>(w->value);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double keep = values[i], h = 1e-5;
    values[i] = keep + h, from_host(w->value, values);
    const double plus = objective();
    values[i] = keep - h, from_host(w->value, values);
    const double minus = objective();
    values[i] = keep, from_host(w->value, values);
    EXPECT_NEAR(analytic[i], (plus - minus) / (2 * h), 1e-8 * std::max(1.0, std::abs(analytic[i]))) << i;
  }
}

// Gradient transforms.
std::vector<std::vector<double>> transformed(const Json& spec, std::vector<std::vector<double>> grads, std::int64_t step = 0) {
  auto be = cpu_backend();
  std::vector<Parameter> params;
  for (const auto& g : grads) {
    const Shape s{static_cast<std::int64_t>(g.size())};
    params.push_back({"p", be->empty(s, DType::Float64), tensor(*be, s, g)});
  }
  std::vector<Parameter*> ptrs;
  for (auto& p : params) ptrs.push_back(&p);
  registry().create_gradient_transform(Params("test", spec))->apply(ptrs, step);
  std::vector<std::vector<double>> out;
  for (auto& p : params) out.push_back(to_host<double>(p.grad));
  return out;
}

TEST(GradientTransform, ClipNormScalesByTheGlobalNorm) {
  // Global norm of [3, 4] and [0, 0, 12] is 13.
  const auto g = transformed({{"type", "clip_norm"}, {"max_norm", 6.5}}, {{3, 4}, {0, 0, 12}});
  const double s = 6.5 / (13 + 1e-6);
  expect_near_all(g[0], {3 * s, 4 * s});
  expect_near_all(g[1], {0, 0, 12 * s});
  EXPECT_EQ(transformed({{"type", "clip_norm"}, {"max_norm", 20}}, {{3, 4}})[0], (std::vector<double>{3, 4}));
}

TEST(GradientTransform, ClipValueClampsEachElement) {
  EXPECT_EQ(transformed({{"type", "clip_value"}, {"clip_value", 1.0}}, {{-3, 0.5, 2}})[0], (std::vector<double>{-1, 0.5, 1}));
}

TEST(GradientTransform, GradientNoiseHasTheDecayingVariance) {
  // sigma_t^2 = eta / (1 + t)^gamma: eta 0.3, gamma 0.55, t = 9.
  const std::size_t n = 100000;
  const auto g = transformed({{"type", "gradient_noise"}, {"eta", 0.3}}, {std::vector<double>(n, 0.0)}, 9)[0];
  double m = 0, v = 0;
  for (double x : g) m += x;
  m /= static_cast<double>(n);
  for (double x : g) v += (x - m) * (x - m);
  v /= static_cast<double>(n - 1);
  const double var = 0.3 / std::pow(10.0, 0.55);
  EXPECT_NEAR(m, 0.0, 5 * std::sqrt(var / static_cast<double>(n)));
  EXPECT_NEAR(v, var, 5 * var * std::sqrt(2.0 / static_cast<double>(n)));
  EXPECT_EQ(g, transformed({{"type", "gradient_noise"}, {"eta", 0.3}}, {std::vector<double>(n, 0.0)}, 9)[0]);
  EXPECT_NE(g, transformed({{"type", "gradient_noise"}, {"eta", 0.3}}, {std::vector<double>(n, 0.0)}, 10)[0]);
}

}  // namespace
}  // namespace nnplug::test
