// Mixup and CutMix (training.mixup_alpha, cutmix_alpha): the draws are Beta(α, α) and a permutation of the epoch's
// positions; CutMix's box takes the partner's pixels in every channel and weighs the target by the pixels kept; one
// SGD step on a mixed batch is the step a hand computation of the blended samples and targets gives; a loss that
// cannot take blended targets is refused. (data_parallel_test: two ranks blend as one process.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/mixup.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

// Beta(α, α) has mean 1/2 and variance 1 / (4 (2α + 1)).
TEST(Mixup, LambdasAreBetaDrawsAndPartnersAPermutationKeyedByTheEpoch) {
  for (const double alpha : {0.2, 1.0, 4.0}) {
    Mixup mixup(alpha, 0.0, 9);
    const std::int64_t n = 40000;
    mixup.begin_epoch(1, n);
    double mean = 0.0, square = 0.0;
    std::vector<std::int64_t> partners;
    for (std::int64_t i = 0; i < n; ++i) {
      const double l = mixup.lambda(i);
      ASSERT_TRUE(l >= 0.0 && l <= 1.0) << l;
      mean += l / n, square += l * l / n;
      partners.push_back(mixup.partner(i));
    }
    EXPECT_NEAR(mean, 0.5, 0.01) << alpha;
    EXPECT_NEAR(square - mean * mean, 1.0 / (4.0 * (2.0 * alpha + 1.0)), 0.005) << alpha;
    std::vector<std::int64_t> sorted = partners;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::int64_t> positions(n);
    std::iota(positions.begin(), positions.end(), 0);
    EXPECT_EQ(sorted, positions);
    Mixup again(alpha, 0.0, 9);
    again.begin_epoch(1, n);
    EXPECT_EQ(again.partner(17), mixup.partner(17));
    EXPECT_EQ(again.lambda(17), mixup.lambda(17));
    again.begin_epoch(2, n);
    EXPECT_NE(again.lambda(17), mixup.lambda(17));
  }
  EXPECT_EQ(error_of([] { Mixup(0.0, 0.0, 1); }), "mixup_alpha or cutmix_alpha must be above 0");
  EXPECT_EQ(error_of([] { Mixup(-1.0, 0.0, 1); }), "mixup_alpha must be 0 (off) or above, got -1");
}

// CutMix on 2 channels of 5 x 6: the partner's pixels fill the box in every channel, the rest stay; the target's
// weight is the share of pixels kept, counted here from the blended image.
TEST(Mixup, CutMixPastesThePartnersBoxIntoEveryChannel) {
  const Shape image{2, 5, 6};
  Mixup cutmix(0.0, 1.0, 3);
  cutmix.begin_epoch(1, 50);
  int whole = 0;
  for (std::int64_t position = 0; position < 50; ++position) {
    ASSERT_TRUE(cutmix.cuts(position));
    std::vector<double> own(60, 1.0), partner(60, 2.0);
    cutmix.blend_samples(own.data(), partner.data(), 1, image, position);
    const Mixup::Box b = cutmix.box(position, image);
    ASSERT_TRUE(0 <= b.top && b.top <= b.bottom && b.bottom <= 5 && 0 <= b.left && b.left <= b.right && b.right <= 6);
    for (std::int64_t k = 0; k < 60; ++k) {
      const std::int64_t y = (k % 30) / 6, x = k % 6;
      const bool inside = y >= b.top && y < b.bottom && x >= b.left && x < b.right;
      ASSERT_EQ(own[static_cast<std::size_t>(k)], inside ? 2.0 : 1.0) << position << " " << k;
    }
    const double kept = static_cast<double>(std::count(own.begin(), own.begin() + 30, 1.0)) / 30.0;
    EXPECT_DOUBLE_EQ(cutmix.weight(position, image), kept);
    whole += kept == 1.0;
  }
  EXPECT_LT(whole, 50);  // most boxes take pixels
  EXPECT_EQ(error_of([] { Mixup(0.0, 1.0, 3).check(Shape{784}); }),
            "cutmix pastes a box of one image into another, but a sample is [784]: it needs [channels, height, width] or [height, width]");
  // With both, each sample takes one: about half CutMix.
  Mixup both(0.4, 1.0, 3);
  both.begin_epoch(1, 2000);
  int cuts = 0;
  for (std::int64_t position = 0; position < 2000; ++position) cuts += both.cuts(position);
  EXPECT_NEAR(cuts, 1000, 100);
}

Json linear_spec() {
  return Json::parse(R"({
    "seed": 6, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 12, "features": 4, "centers": 3},
    "layers": [{"type": "dense", "units": 3}],
    "loss": {"type": "softmax_cross_entropy", "targets": "probabilities"},
    "optimizer": {"type": "sgd", "lr": 0.5},
    "training": {"epochs": 1, "batch_size": 12, "shuffle": false, "mixup_alpha": 0.4}
  })");
}

// Softmax regression, one step on all 12 samples: sample i becomes l x_i + (1 - l) x_j and its target l e_yi + (1 - l)
// e_yj, with j and l the Mixup's draws for position i; the step is lr times the mean of (softmax(W x + b) - t) x^T.
TEST(Mixup, AStepOnAMixedBatchIsTheStepOnTheBlendedSamplesAndTargets) {
  Experiment ex = build_experiment(parse_spec(linear_spec().dump(), "mixup.json"), registry());
  ex.fit.progress = false;
  const auto params = ex.model->parameters(true);
  const std::vector<double> w = to_host<double>(params[0]->value), b = to_host<double>(params[1]->value);
  const std::vector<double> x = ex.train.x.doubles();
  Mixup mixup(0.4, 0.0, 6);
  mixup.begin_epoch(1, 12);
  std::vector<double> dw(12, 0.0), db(3, 0.0);
  for (std::int64_t i = 0; i < 12; ++i) {
    const std::int64_t j = mixup.partner(i);
    const double l = mixup.lambda(i);
    double mixed[4], logits[3], top = -1e300, sum = 0.0;
    for (int k = 0; k < 4; ++k) mixed[k] = l * x[i * 4 + k] + (1 - l) * x[j * 4 + k];
    for (int c = 0; c < 3; ++c) {
      logits[c] = b[c];
      for (int k = 0; k < 4; ++k) logits[c] += w[c * 4 + k] * mixed[k];
      top = std::max(top, logits[c]);
    }
    // Targets are kept as float32, as the data's are, and so may sum to 1 only to float32 rounding: the gradient of
    // -sum_c t_c log p_c is p_c sum_k t_k - t_c.
    double target[3], mass = 0.0;
    for (int c = 0; c < 3; ++c) {
      sum += std::exp(logits[c] - top);
      target[c] = static_cast<float>(l * (ex.train.labels[i] == c) + (1 - l) * (ex.train.labels[j] == c));
      mass += target[c];
    }
    for (int c = 0; c < 3; ++c) {
      const double g = (std::exp(logits[c] - top) / sum * mass - target[c]) / 12.0;
      db[c] += g;
      for (int k = 0; k < 4; ++k) dw[c * 4 + k] += g * mixed[k];
    }
  }
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
  const auto w1 = to_host<double>(params[0]->value), b1 = to_host<double>(params[1]->value);
  for (std::size_t k = 0; k < 12; ++k) EXPECT_NEAR(w1[k], w[k] - 0.5 * dw[k], 1e-13) << k;
  for (std::size_t c = 0; c < 3; ++c) EXPECT_NEAR(b1[c], b[c] - 0.5 * db[c], 1e-13) << c;
  // Unmixed, the step is another: the check can fail.
  Experiment plain = build_experiment(parse_spec(linear_spec().dump(), "mixup.json"), registry());
  plain.fit.progress = false, plain.fit.mixup_alpha = 0.0;
  Trainer(*plain.model, plain.loss, plain.optimizer).fit(plain.train, nullptr, plain.fit);
  EXPECT_GT(std::abs(to_host<double>(plain.model->parameters(true)[0]->value)[0] - w1[0]), 1e-6);
}

// Four batches of 3 accumulated blend as one batch of 12: the draws follow the positions.
TEST(Mixup, AccumulatedBatchesBlendAsOneBatch) {
  Json accumulating = linear_spec();
  accumulating["training"]["batch_size"] = 3;
  accumulating["training"]["gradient_accumulation_steps"] = 4;
  std::vector<std::vector<double>> weights;
  for (const Json& spec : {linear_spec(), accumulating}) {
    Experiment ex = build_experiment(parse_spec(spec.dump(), "mixup.json"), registry());
    ex.fit.progress = false;
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
    weights.push_back(to_host<double>(ex.model->parameters(true)[0]->value));
  }
  for (std::size_t k = 0; k < weights[0].size(); ++k) EXPECT_NEAR(weights[0][k], weights[1][k], 1e-14) << k;
}

TEST(Mixup, ALossOfClassIndicesIsRefused) {
  Json spec = linear_spec();
  spec["loss"] = "softmax_cross_entropy";
  Experiment ex = build_experiment(parse_spec(spec.dump(), "mixup.json"), registry());
  EXPECT_EQ(error_of([&] { Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit); }),
            "mixup blends the targets of two samples, which loss softmax_cross_entropy cannot take: with class labels, choose "
            "softmax_cross_entropy with \"targets\": \"probabilities\"");
}

}  // namespace
}  // namespace nnplug::test
