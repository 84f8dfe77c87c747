// Metrics against the chapter's worked example and hand-computed cases.
#include <gtest/gtest.h>

#include "nnplug/framework/metrics.hpp"

namespace nnplug {
namespace {

TEST(Metrics, ChapterExampleTable41) {
  // Class 1 = sick: TP 100, FN 30, FP 70, TN 800.
  ConfusionMatrix m(2);
  m.add(1, 1, 100), m.add(1, 0, 30), m.add(0, 1, 70), m.add(0, 0, 800);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.9);
  EXPECT_NEAR(m.recall(1), 0.76923, 1e-5);
  EXPECT_NEAR(m.precision(1), 0.58824, 1e-5);
  EXPECT_NEAR(m.f1(1), 0.66667, 1e-5);
  EXPECT_NEAR(m.specificity(1), 0.91954, 1e-5);  // not the precision, whatever the chapter calls it
}

// rows actual, columns predicted:
//   [5 1 0]
//   [2 3 1]
//   [0 0 4]
// in a matrix of `classes` (3 or more).
ConfusionMatrix three_class_matrix(std::int64_t classes = 3) {
  ConfusionMatrix m(classes);
  const int c[3][3] = {{5, 1, 0}, {2, 3, 1}, {0, 0, 4}};
  for (int a = 0; a < 3; ++a)
    for (int p = 0; p < 3; ++p) m.add(a, p, c[a][p]);
  return m;
}

TEST(Metrics, ThreeClassAveragesByHand) {
  const ConfusionMatrix m = three_class_matrix();
  // precision: 5/7, 3/4, 4/5; recall: 5/6, 3/6, 4/4; support 6, 6, 4; total 16, correct 12.
  EXPECT_DOUBLE_EQ(m.precision(0), 5.0 / 7);
  EXPECT_DOUBLE_EQ(m.recall(1), 0.5);
  EXPECT_NEAR(m.precision(ConfusionMatrix::Average::Macro), (5.0 / 7 + 0.75 + 0.8) / 3, 1e-12);
  EXPECT_NEAR(m.recall(ConfusionMatrix::Average::Weighted), (6 * 5.0 / 6 + 6 * 0.5 + 4 * 1.0) / 16, 1e-12);
  EXPECT_DOUBLE_EQ(m.precision(ConfusionMatrix::Average::Micro), 12.0 / 16);
  EXPECT_DOUBLE_EQ(m.f1(ConfusionMatrix::Average::Micro), 12.0 / 16);
  // class 2: TN = 16 - 4 - 1 - 0 = 11, FP = 1: specificity 11/12.
  EXPECT_DOUBLE_EQ(m.specificity(2), 11.0 / 12);
  const double f1_1 = 2 * 0.75 * 0.5 / 1.25;
  EXPECT_DOUBLE_EQ(m.f1(1), f1_1);
}

// IoU of the matrix above: class 0 TP 5, FP 2, FN 1: 5/8; class 1 TP 3, FP 1, FN 3: 3/7; class 2 TP 4, FP 1, FN 0:
// 4/5. Micro: 12 / (12 + 4 + 4), the accuracy a over 2 - a for single labels; weighted by supports 6, 6, 4.
TEST(Metrics, IntersectionOverUnionByHand) {
  const ConfusionMatrix m = three_class_matrix();
  EXPECT_DOUBLE_EQ(m.iou(0), 5.0 / 8);
  EXPECT_DOUBLE_EQ(m.iou(1), 3.0 / 7);
  EXPECT_DOUBLE_EQ(m.iou(2), 4.0 / 5);
  EXPECT_NEAR(m.iou(ConfusionMatrix::Average::Macro), (5.0 / 8 + 3.0 / 7 + 4.0 / 5) / 3, 1e-12);
  EXPECT_NEAR(m.iou(ConfusionMatrix::Average::Micro), 12.0 / 20, 1e-12);
  EXPECT_NEAR(m.iou(ConfusionMatrix::Average::Micro), 0.75 / (2 - 0.75), 1e-12);
  EXPECT_NEAR(m.iou(ConfusionMatrix::Average::Weighted), (6 * 5.0 / 8 + 6 * 3.0 / 7 + 4 * 4.0 / 5) / 16, 1e-12);
  EXPECT_EQ(ConfusionMatrix(2).iou(1), 0.0);  // no label, no prediction: 0 / 0 is 0
}

TEST(Metrics, EmptyClassGivesZeroNotNaN) {
  ConfusionMatrix m(3);
  m.add(0, 0, 2), m.add(1, 0, 1);
  EXPECT_EQ(m.precision(2), 0.0);
  EXPECT_EQ(m.recall(2), 0.0);
}

TEST(Metrics, AClassNoLabelOrPredictionNamesIsLeftOutOfTheAverages) {
  // Four outputs, the fourth never a label nor a prediction: the averages are those of the three-class matrix
  // above, as scikit-learn's classification_report gives them.
  ConfusionMatrix m = three_class_matrix(4);
  EXPECT_NEAR(m.precision(ConfusionMatrix::Average::Macro), (5.0 / 7 + 0.75 + 0.8) / 3, 1e-12);
  EXPECT_NEAR(m.specificity(ConfusionMatrix::Average::Macro), (8.0 / 10 + 9.0 / 10 + 11.0 / 12) / 3, 1e-12);
  EXPECT_NEAR(m.specificity(ConfusionMatrix::Average::Micro), (8.0 + 9 + 11) / (10 + 10 + 12), 1e-12);
  // A class predicted but never a label still counts, with precision 0.
  m.add(0, 3, 1);
  EXPECT_NEAR(m.precision(ConfusionMatrix::Average::Macro), (5.0 / 7 + 0.75 + 0.8 + 0.0) / 4, 1e-12);
}

TEST(Metrics, FromScoresAndTopK) {
  const std::vector<float> scores = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.4f, 0.3f};
  const std::vector<std::int32_t> labels = {1, 2, 0};
  const auto m = ConfusionMatrix::from_scores(scores, labels, 3);
  EXPECT_EQ(m.at(1, 1), 1);
  EXPECT_EQ(m.at(2, 0), 1);
  EXPECT_EQ(m.at(0, 1), 1);
  EXPECT_DOUBLE_EQ(top_k_accuracy(scores, labels, 3, 1), 1.0 / 3);
  EXPECT_DOUBLE_EQ(top_k_accuracy(scores, labels, 3, 2), 2.0 / 3);  // row 2: label 2 scores lowest
  EXPECT_DOUBLE_EQ(top_k_accuracy(scores, labels, 3, 3), 1.0);
}

}  // namespace
}  // namespace nnplug
