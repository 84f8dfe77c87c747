// Class probabilities from raw outputs and the evaluation report, against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/evaluation.hpp"

namespace nnplug {
namespace {

TEST(Evaluation, SoftmaxOfLogLogitsGivesTheirRatios) {
  // softmax(ln 1, ln 2, ln 3) = (1, 2, 3) / 6; a shift by 1000 must not overflow (float rounds 1000 + ln 3 to
  // 6e-5, hence the looser tolerance of the second row).
  const std::vector<float> logits{0.0f, std::log(2.0f), std::log(3.0f), 1000.0f, 1000.0f + std::log(3.0f), 1000.0f};
  const auto p = class_probabilities(logits, 3, OutputLink::Softmax);
  const double expected[] = {1.0 / 6, 2.0 / 6, 3.0 / 6, 0.2, 0.6, 0.2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(p[i], expected[i], i < 3 ? 1e-6 : 1e-4) << i;
}

TEST(Evaluation, OneSigmoidOutputForTwoClassesBecomesAPair) {
  const auto p = class_probabilities({0.0f, std::log(3.0f)}, 1, OutputLink::Sigmoid);  // sigmoid(ln 3) = 3/4
  ASSERT_EQ(p.size(), 4u);
  EXPECT_NEAR(p[0], 0.5, 1e-7);
  EXPECT_NEAR(p[1], 0.5, 1e-7);
  EXPECT_NEAR(p[2], 0.25, 1e-7);
  EXPECT_NEAR(p[3], 0.75, 1e-7);
  const auto identity = class_probabilities({0.2f, 0.9f}, 2, OutputLink::Identity);
  EXPECT_EQ(identity, (std::vector<float>{0.2f, 0.9f}));
}

TEST(Evaluation, ReportOfAKnownConfusionMatrix) {
  // Four samples of three classes: labels 0 0 1 2, predicted 0 1 1 1 (the arg-max of each row). The true class
  // is second best in row 1 and third in row 3, so top-2 accuracy is 3/4.
  const std::vector<float> p{0.7f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f, 0.1f, 0.8f, 0.1f, 0.3f, 0.5f, 0.2f};
  const Evaluation e = evaluate_scores(p, {0, 0, 1, 2}, 3, 0.5, 2);
  EXPECT_EQ(e.confusion.at(0, 1), 1);
  EXPECT_EQ(e.confusion.at(2, 1), 1);
  EXPECT_DOUBLE_EQ(e.top_k_accuracy, 0.75);
  const auto j = evaluation_json(e, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["classes"][1]["precision"].get<double>(), 1.0 / 3);  // class b: predicted 3 times, right once
  EXPECT_DOUBLE_EQ(j["classes"][0]["recall"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["classes"][2]["f1"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["averages"]["micro"]["precision"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["classes"][1]["iou"].get<double>(), 1.0 / 3);           // class b: right once, of 1 label and 3 predictions
  EXPECT_DOUBLE_EQ(j["averages"]["micro"]["iou"].get<double>(), 2.0 / 6);  // 2 right, 2 false positives, 2 false negatives
  EXPECT_EQ(j["confusion_matrix"][0], (nlohmann::json{1, 1, 0}));
  const std::string text = format_evaluation(e, {"a", "b", "c"});
  EXPECT_NE(text.find("loss 0.5000  accuracy 0.5000  top-2 accuracy 0.7500  (4 samples)"), std::string::npos) << text;
  // The matrix's columns are numbered: a named row gives its number, so that a reader finds its column.
  EXPECT_NE(text.find("              0      1      2\n     0 a      1      1      0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n       a    1.0000    0.5000"), std::string::npos) << text;  // the per-class table needs no number
  EXPECT_NE(text.find("specificity       iou   roc_auc"), std::string::npos) << text;
  // top-k with k >= the number of classes says nothing: it is left out.
  EXPECT_EQ(evaluate_scores(p, {0, 0, 1, 2}, 3, NAN, 3).top_k, 0);
}

}  // namespace
}  // namespace nnplug
