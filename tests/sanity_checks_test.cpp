// The chapter's sanity checks: the loss at chance is ln C for the softmax and C - 1 for the Weston-Watkins SVM, and
// the spec's parameters survive its measurement; regularization is taken out of a spec, wherever it is; a tiny
// subset is overfitted by a model that can fit it, and not by a linear model on XOR.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "nnplug/framework/sanity_checks.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

Spec blobs_spec(const char* loss, const char* hidden = "") {
  return parse_spec(fmt::format(R"({{"seed": 2, "data": {{"format": "gaussian_blobs", "samples": 300, "centers": 3, "std": 0.5, "standardize": "per_feature"}},
                                    "layers": [{}{{"type": "dense", "units": 3}}], "loss": {}, "optimizer": {{"type": "adam", "lr": 0.05}},
                                    "training": {{"batch_size": 50}}}})",
                                hidden, loss),
                    "spec.json");
}

TEST(SanityChecks, TheLossAtChanceIsLnCForTheSoftmaxAndCMinusOneForTheSvm) {
  for (const auto& [loss, chance] : {std::pair{R"("softmax_cross_entropy")", std::log(3.0)}, {R"({"type": "hinge", "class_reduction": "sum"})", 2.0}}) {
    Experiment ex = build_experiment(blobs_spec(loss), registry());
    const auto before = to_host<double>(ex.model->parameters(false)[0]->value);
    const InitialLossCheck check = check_initial_loss(ex, 100);
    EXPECT_EQ(check.samples, 100);
    EXPECT_NEAR(check.chance, chance, 1e-6) << loss;
    EXPECT_EQ(to_host<double>(ex.model->parameters(false)[0]->value), before) << loss;  // the spec's weights, put back
    Trainer trainer(*ex.model, ex.loss, nullptr);
    EXPECT_DOUBLE_EQ(check.loss, trainer.evaluate(ex.train.head(100), ex.fit.batch_size).loss) << loss;
  }
}

// The chapter's second check: an L2 penalty of strength λ on the first layer's weights adds ½ λ Σ w² (worked out here
// from the initial weights) to the data loss at strength 1, ten times that at 10. Without a parameter penalty (none,
// or only an activity's) the check does not apply.
TEST(SanityChecks, TheLossRisesWithTheRegularizationStrength) {
  Spec spec = blobs_spec(R"("softmax_cross_entropy")", R"({"type": "dense", "units": 4, "activation": "tanh", "weight_regularizer": {"type": "l2", "lambda": 0.1}}, )");
  Experiment ex = build_experiment(spec, registry());
  double half_sum_of_squares = 0;
  for (const double w : to_host<double>(ex.model->parameters(false)[0]->value)) half_sum_of_squares += 0.5 * w * w;
  const RegularizationCheck check = check_regularization(ex, 100);
  ASSERT_TRUE(check.applies);
  Trainer trainer(*ex.model, ex.loss, nullptr);
  EXPECT_NEAR(check.losses[0], trainer.evaluate(ex.train.head(100), ex.fit.batch_size).loss, 1e-6);
  EXPECT_NEAR(check.losses[1] - check.losses[0], 0.1 * half_sum_of_squares, 1e-5);
  EXPECT_NEAR(check.losses[2] - check.losses[0], 1.0 * half_sum_of_squares, 1e-4);
  EXPECT_TRUE(check.rises());
  for (const char* hidden : {"", R"({"type": "dense", "units": 4, "activity_regularizer": {"type": "l2", "lambda": 0.1}}, )"}) {
    Experiment plain = build_experiment(blobs_spec(R"("softmax_cross_entropy")", hidden), registry());
    EXPECT_FALSE(check_regularization(plain).applies) << hidden;
  }
}

TEST(SanityChecks, RegularizationIsTakenOutOfLayersBlocksAndTheOptimizer) {
  Spec spec = parse_spec(R"({"layers": [{"type": "dense", "units": 4, "weight_regularizer": {"type": "l2"}, "activation": "relu"},
                                        {"type": "block_a", "name": "b"}],
                             "blocks": {"block_a": {"layers": [{"type": "dense", "units": 2, "bias_regularizer": "l1",
                                                                "activity_regularizer": "l2"}]}},
                             "optimizer": {"type": "sgd", "lr": 0.1, "weight_decay": 0.01}, "augmentation": {"horizontal_flip": true},
                             "callbacks": [{"type": "history", "path": "h.csv"}], "loss": "mse"})",
                         "spec.json");
  const Spec plain = without_regularization(spec);
  EXPECT_EQ(plain.json["layers"][0], nlohmann::json::parse(R"({"type": "dense", "units": 4, "activation": "relu"})"));
  EXPECT_EQ(plain.json["blocks"]["block_a"]["layers"][0], nlohmann::json::parse(R"({"type": "dense", "units": 2})"));
  EXPECT_EQ(plain.json["optimizer"], nlohmann::json::parse(R"({"type": "sgd", "lr": 0.1})"));
  EXPECT_FALSE(plain.json.contains("augmentation"));
  EXPECT_FALSE(plain.json.contains("callbacks"));
  EXPECT_EQ(plain.json["loss"], "mse");
}

class SanityCheckFiles : public ScratchFolderTest {
 protected:
  SanityCheckFiles() : ScratchFolderTest("sanity_checks") {}
};

TEST_F(SanityCheckFiles, ABlockInAFileOfItsOwnLosesItsRegularizersToo) {
  std::ofstream(dir_ / "block.json") << R"({"layers": [{"type": "dense", "units": 2, "weight_regularizer": {"type": "l2", "lambda": 0.1}}]})";
  std::ofstream(dir_ / "spec.json") << R"({"layers": [{"type": "b"}], "blocks": {"b": "block.json"}, "loss": "mse"})";
  const Spec plain = without_regularization(load_spec(dir_ / "spec.json"));
  EXPECT_EQ(plain.json["blocks"]["b"]["layers"][0], nlohmann::json::parse(R"({"type": "dense", "units": 2})"));
}

TEST(SanityChecks, ATinySubsetIsOverfittedByAModelThatCanFitItAndNotByALinearModelOnXor) {
  const Spec mlp = blobs_spec(R"("softmax_cross_entropy")", R"({"type": "dense", "units": 16, "activation": "tanh"}, )");
  Experiment data = build_experiment(mlp, registry());
  const OverfitCheck fitted = check_overfit(mlp, registry(), data, {}, 20, 500);
  EXPECT_TRUE(fitted.passed);
  EXPECT_EQ(fitted.samples, 20);
  EXPECT_EQ(fitted.last.score, 1.0);
  EXPECT_LT(fitted.epochs, 500);
  // XOR: no line separates the four blobs, so a single unit never gets 20 of their points right.
  const Spec perceptron = parse_spec(R"({"seed": 1, "data": {"format": "xor_blobs", "samples": 200}, "layers": [{"type": "dense", "units": 2}],
                                         "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05}})",
                                     "spec.json");
  Experiment xor_data = build_experiment(perceptron, registry());
  const OverfitCheck linear = check_overfit(perceptron, registry(), xor_data, {}, 20, 200);
  EXPECT_FALSE(linear.passed);
  EXPECT_EQ(linear.epochs, 200);
  EXPECT_LT(linear.last.score, 1.0);
}

}  // namespace
}  // namespace nnplug::test
