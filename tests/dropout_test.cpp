// The dropout layers: statistics of their masks within sampling error, identity in eval mode, seeded masks,
// and a backward pass that applies the forward's mask.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/counter_random.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

constexpr std::int64_t kN = 200000;

struct DropoutRun {
  std::vector<double> x, y, dx;
};

DropoutRun run(const Params::Json& spec, std::uint64_t seed, const std::vector<double>& x, bool training = true) {
  auto be = cpu_backend();
  auto layer = registry().create_layer(Params("test", spec));
  layer->build(Shape{kN / 100}, BuildContext{*be, DType::Float64, seed});
  layer->set_training(training);
  Tensor xt = tensor(*be, Shape{100, kN / 100}, x);
  DropoutRun r{x, to_host<double>(layer->forward(xt)), {}};
  r.dx = to_host<double>(layer->backward(tensor(*be, xt.shape(), std::vector<double>(static_cast<std::size_t>(kN), 1.0)), true));
  return r;
}

std::vector<double> ones() { return std::vector<double>(static_cast<std::size_t>(kN), 1.0); }

TEST(Dropout, DropsTheRateAndScalesTheRest) {
  const DropoutRun r = run({{"type", "dropout"}, {"rate", 0.3}}, 1, ones());
  double dropped = 0, sum = 0;
  for (double y : r.y) {
    if (y == 0.0) ++dropped;
    else ASSERT_NEAR(y, 1.0 / 0.7, 1e-12);
    sum += y;
  }
  // Binomial: the dropped share has standard error sqrt(p (1 - p) / n) ~ 0.001; five of them.
  EXPECT_NEAR(dropped / kN, 0.3, 5 * std::sqrt(0.3 * 0.7 / kN));
  EXPECT_NEAR(sum / kN, 1.0, 5 * std::sqrt(0.3 / 0.7 / kN));  // inverted dropout keeps the mean
  EXPECT_EQ(r.dx, r.y);  // x = 1 and dy = 1: the backward mask is the forward's
}

// The inverted and alpha ops on the CPU backend, in place and not, in both dtypes: each element kept exactly where
// counter_random's uniform for its global index (first + i) reaches the rate. Inverted scales what it keeps by
// 1 / (1 - rate); alpha maps it to a x + b and what it drops to a alpha' + b, with alpha' = -SELU's scale x alpha,
// a = (keep (1 + rate alpha'^2))^-1/2 and b = -a alpha' rate (Klambauer et al. 2017).
TEST(Dropout, TheInvertedAndAlphaOpsKeepWhatCounterRandomDrawsInPlaceOrNot) {
  auto be = cpu_backend();
  const double rate = 0.3, alpha_prime = -1.0507009873554805 * 1.6732632423543772;
  const double a = 1.0 / std::sqrt((1 - rate) * (1 + rate * alpha_prime * alpha_prime)), b = -a * alpha_prime * rate;
  const std::uint64_t seed = 77, first = 1000;
  for (const DropoutKind kind : {DropoutKind::Inverted, DropoutKind::Alpha})
    for (const DType dtype : {DType::Float32, DType::Float64})
      for (const bool in_place : {false, true}) {
        SCOPED_TRACE(fmt::format("{} {}{}", kind == DropoutKind::Alpha ? "alpha" : "inverted", dtype_name(dtype), in_place ? " in place" : ""));
        std::vector<double> x(40000);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 + static_cast<double>(i % 7);
        Tensor xt = tensor(*be, Shape{200, 200}, x, dtype), mask = be->empty(xt.shape(), dtype);
        Tensor yt = in_place ? xt : be->empty(xt.shape(), dtype);
        be->run(op::Dropout{xt, yt, mask, kind, rate, seed, first});
        const auto y = to_host<double>(yt);
        for (std::size_t i = 0; i < x.size(); ++i) {
          const bool kept = counter_random::uniform(seed, first + i) >= rate;
          const double want = kind == DropoutKind::Inverted ? (kept ? x[i] / (1 - rate) : 0.0) : (kept ? a * x[i] + b : a * alpha_prime + b);
          ASSERT_NEAR(y[i], want, 1e-5 * (1 + std::abs(want))) << i;
        }
      }
}

TEST(Dropout, IsTheIdentityInEvalMode) {
  const auto x = random_normal(static_cast<std::size_t>(kN), 3);
  const DropoutRun r = run({{"type", "dropout"}, {"rate", 0.5}}, 1, x, false);
  EXPECT_EQ(r.y, x);
  EXPECT_EQ(r.dx, ones());
}

TEST(Dropout, SameSeedSameMaskOtherSeedOtherMask) {
  EXPECT_EQ(run("dropout", 5, ones()).y, run("dropout", 5, ones()).y);
  EXPECT_NE(run("dropout", 5, ones()).y, run("dropout", 6, ones()).y);
}

TEST(Dropout, GaussianMaskHasMeanOneAndVarianceRateOverKeep) {
  const DropoutRun r = run({{"type", "gaussian_dropout"}, {"rate", 0.2}}, 2, ones());
  double m = 0, v = 0;
  for (double y : r.y) m += y;
  m /= kN;
  for (double y : r.y) v += (y - m) * (y - m);
  v /= kN - 1;
  const double var = 0.2 / 0.8;
  EXPECT_NEAR(m, 1.0, 5 * std::sqrt(var / kN));
  EXPECT_NEAR(v, var, 5 * var * std::sqrt(2.0 / kN));
  EXPECT_EQ(r.dx, r.y);
}

TEST(Dropout, AlphaDropoutKeepsZeroMeanAndUnitVariance) {
  const DropoutRun r = run({{"type", "alpha_dropout"}, {"rate", 0.2}}, 4, random_normal(static_cast<std::size_t>(kN), 4));
  double m = 0, v = 0;
  for (double y : r.y) m += y;
  m /= kN;
  for (double y : r.y) v += (y - m) * (y - m);
  v /= kN - 1;
  // Mean and variance of the output for standard normal input; tolerances of about five standard errors.
  EXPECT_NEAR(m, 0.0, 0.015);
  EXPECT_NEAR(v, 1.0, 0.02);
}

// Whole channels: each (sample, channel) block is all 0 or all x / (1 - rate), over a sample's positions (PyTorch's
// Dropout2d) or, channels last, over its steps (Keras's SpatialDropout1D); about `rate` of the channels dropped; dx
// is dy through the same mask; eval mode passes x on.
TEST(Dropout, SpatialDropoutDropsWholeChannels) {
  auto be = cpu_backend();
  for (const bool channels_last : {false, true}) {
    auto layer = registry().create_layer(
        Params("test", {{"type", "spatial_dropout"}, {"rate", 0.3}, {"data_format", channels_last ? "channels_last" : "channels_first"}}));
    const std::int64_t n = 500, c = 40, s = 6;
    const Shape sample = channels_last ? Shape{s, c} : Shape{c, s};
    layer->build(sample, BuildContext{*be, DType::Float64, 7});
    const auto x = random_normal(static_cast<std::size_t>(n * c * s), 8), dy = random_normal(x.size(), 9);
    const auto y = to_host<double>(layer->forward(tensor(*be, sample.with_batch(n), x)));
    const auto dx = to_host<double>(layer->backward(tensor(*be, sample.with_batch(n), dy), true));
    std::int64_t dropped = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < c; ++k) {
        const auto at = [&](std::int64_t p) { return static_cast<std::size_t>(channels_last ? (i * s + p) * c + k : (i * c + k) * s + p); };
        const bool kept = y[at(0)] != 0.0;
        dropped += !kept;
        for (std::int64_t p = 0; p < s; ++p) {
          EXPECT_NEAR(y[at(p)], kept ? x[at(p)] / 0.7 : 0.0, 1e-12) << "sample " << i << ", channel " << k << ", position " << p;
          EXPECT_NEAR(dx[at(p)], kept ? dy[at(p)] / 0.7 : 0.0, 1e-12);
        }
      }
    const double total = static_cast<double>(n * c);
    EXPECT_NEAR(static_cast<double>(dropped) / total, 0.3, 5 * std::sqrt(0.3 * 0.7 / total));
    layer->set_training(false);
    EXPECT_EQ(to_host<double>(layer->forward(tensor(*be, sample.with_batch(n), x))), x);
  }
  EXPECT_EQ(error_of([&] { registry().create_layer(Params("test", "spatial_dropout"))->build(Shape{10}, BuildContext{*be, DType::Float32}); }),
            "spatial_dropout expects channels and positions per sample, (C, ...) or (..., C), got [10]");
}

// Per sample ("row"): each sample of 2,000 is dropped whole or kept and scaled, and so is its gradient. Per batch: each
// of 400 passes drops the whole batch or keeps it. Both drop the rate's share within five standard errors.
TEST(Dropout, StochasticDepthDropsWholeSamplesOrTheWholeBatch) {
  auto be = cpu_backend();
  const Shape sample{3, 4};
  const auto pass = [&](Layer& layer, std::int64_t n, std::uint64_t seed) {
    const auto x = random_normal(static_cast<std::size_t>(n * 12), seed), dy = random_normal(x.size(), seed + 1);
    const auto y = to_host<double>(layer.forward(tensor(*be, sample.with_batch(n), x)));
    const auto dx = to_host<double>(layer.backward(tensor(*be, sample.with_batch(n), dy), true));
    std::int64_t dropped = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto first = static_cast<std::size_t>(i * 12);
      const bool kept = y[first] != 0.0;
      dropped += !kept;
      for (std::size_t k = first; k < first + 12; ++k) {
        EXPECT_NEAR(y[k], kept ? x[k] / 0.7 : 0.0, 1e-12) << "sample " << i;
        EXPECT_NEAR(dx[k], kept ? dy[k] / 0.7 : 0.0, 1e-12) << "sample " << i;
      }
    }
    return dropped;
  };
  auto rows = registry().create_layer(Params("test", {{"type", "stochastic_depth"}, {"rate", 0.3}}));
  rows->build(sample, BuildContext{*be, DType::Float64, 7});
  const std::int64_t n = 2000;
  EXPECT_NEAR(static_cast<double>(pass(*rows, n, 8)) / n, 0.3, 5 * std::sqrt(0.3 * 0.7 / n));

  auto batch = registry().create_layer(Params("test", {{"type", "stochastic_depth"}, {"rate", 0.3}, {"mode", "batch"}}));
  batch->build(sample, BuildContext{*be, DType::Float64, 7});
  const int passes = 400;
  int dropped_batches = 0;
  for (int k = 0; k < passes; ++k) {
    const std::int64_t dropped = pass(*batch, 5, 100 + 2 * static_cast<std::uint64_t>(k));
    EXPECT_TRUE(dropped == 0 || dropped == 5) << "pass " << k << " dropped " << dropped << " of 5 samples";
    dropped_batches += dropped == 5;
  }
  EXPECT_NEAR(static_cast<double>(dropped_batches) / passes, 0.3, 5 * std::sqrt(0.3 * 0.7 / passes));

  rows->set_training(false);
  const auto x = random_normal(24, 3);
  EXPECT_EQ(to_host<double>(rows->forward(tensor(*be, sample.with_batch(2), x))), x);
  EXPECT_EQ(error_of([] { registry().create_layer(Params("layers[3] (stochastic_depth)", "stochastic_depth")); }),
            "layers[3] (stochastic_depth): parameter 'rate' is required");
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", {{"type", "stochastic_depth"}, {"rate", 0.1}, {"mode", "sample"}})); }),
            "test: parameter 'mode' must be \"row\" (a draw per sample) or \"batch\" (one draw for the batch), got \"sample\"");
}

TEST(Dropout, RateOutsideTheUnitIntervalIsRejected) {
  try {
    registry().create_layer(Params("layers[2] (dropout)", {{"type", "dropout"}, {"rate", 1.0}}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "layers[2] (dropout): parameter 'rate' must be in [0, 1) (the probability of dropping), got 1");
  }
  EXPECT_THROW(registry().create_layer(Params("test", {{"type", "gaussian_dropout"}, {"rate", -0.1}})), InvalidArgument);
  EXPECT_THROW(registry().create_layer(Params("test", {{"type", "stochastic_depth"}, {"rate", 1.0}})), InvalidArgument);
}

}  // namespace
}  // namespace nnplug::test
