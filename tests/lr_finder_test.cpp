// The learning-rate finder: the sweep's rates against their closed form, the rates the optimizer actually used,
// and a suggestion inside the range where plain SGD on a logistic regression is known to learn.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/lr_finder.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

TEST(LrFinder, SweepGrowsGeometricallyFromMinToMax) {
  LrFindSettings s;
  s.min_lr = 1e-6, s.max_lr = 1.0, s.steps = 7;  // six steps of a factor 10
  for (int k = 0; k < 7; ++k) EXPECT_NEAR(sweep_learning_rate(s, k), std::pow(10.0, k - 6), 1e-12 * std::pow(10.0, k - 6)) << k;
}

Experiment softmax_regression() {
  return build_experiment(parse_spec(R"({"seed": 4, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 512, "centers": 3, "features": 4, "std": 5, "standardize": "per_feature"},
    "layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 1}})", "lr_find.json"),
                          registry());
}

TEST(LrFinder, RecordsEveryStepAndStopsWhenTheLossBlowsUp) {
  Experiment ex = softmax_regression();
  LrFindSettings s;
  s.min_lr = 1e-5, s.max_lr = 1e4, s.steps = 120, s.batch_size = 32;
  const LrFindResult r = find_learning_rate(*ex.model, ex.loss, ex.optimizer, ex.train, s);
  ASSERT_GE(r.losses.size(), 20u);
  for (std::size_t k = 0; k < r.losses.size(); ++k) ASSERT_NEAR(r.learning_rates[k], sweep_learning_rate(s, static_cast<std::int64_t>(k)),
                                                                1e-9 * r.learning_rates[k]) << k;
  EXPECT_DOUBLE_EQ(r.smoothed[0], r.losses[0]);  // the bias-corrected average of one value is that value
  // The softmax regression's loss diverges long before a rate of 1e4.
  EXPECT_TRUE(r.diverged);
  EXPECT_LT(r.losses.size(), 120u);
  // Plain SGD on standardized features learns at rates of about 1e-2 to 10 (above, overlapping classes make it
  // oscillate): the lowest loss sits there, and the suggestion is a tenth of its rate.
  EXPECT_GT(r.minimum_lr, 1e-2);
  EXPECT_LT(r.minimum_lr, 1e2);
  EXPECT_NEAR(r.suggested_lr, r.minimum_lr / 10, 1e-15);
  EXPECT_GT(r.steepest_lr, 1e-4);
  EXPECT_LT(r.steepest_lr, r.minimum_lr);
}

TEST(LrFinder, BadSettingsAreRefused) {
  Experiment ex = softmax_regression();
  LrFindSettings s;
  s.min_lr = 1.0, s.max_lr = 0.1;
  EXPECT_THROW(find_learning_rate(*ex.model, ex.loss, ex.optimizer, ex.train, s), InvalidArgument);
  // So many steps that their epoch count would not fit an int.
  s.min_lr = 1e-5, s.max_lr = 1.0, s.steps = std::int64_t{1} << 40;
  EXPECT_EQ(error_of([&] { find_learning_rate(*ex.model, ex.loss, ex.optimizer, ex.train, s); }),
            "lr-find: needs 5 to 1000000 steps, got 1099511627776");
}

}  // namespace
}  // namespace nnplug::test
