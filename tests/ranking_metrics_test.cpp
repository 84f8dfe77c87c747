// ROC AUC and average precision against values worked out by hand (and scikit-learn's documented example).
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/ranking_metrics.hpp"

namespace nnplug {
namespace {

// Two columns, the second the score of class 1 (the first unused).
ClassRanking rank_ones(const std::vector<float>& scores, const std::vector<std::int32_t>& labels) {
  std::vector<float> rows;
  for (float s : scores) rows.insert(rows.end(), {1.0f - s, s});
  return rank_class(rows, labels, 2, 1);
}

TEST(RankingMetrics, ScikitLearnsExample) {
  // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75; average_precision_score gives 0.8333.
  const ClassRanking r = rank_ones({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(r.roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(r.average_precision, (1.0 + 2.0 / 3) / 2);
}

TEST(RankingMetrics, PerfectReversedTiedAndOneSided) {
  EXPECT_DOUBLE_EQ(rank_ones({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}).roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(rank_ones({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}).roc_auc, 0.0);
  // One score for all: a coin's AUC, and the precision is the share of positives at the only threshold.
  const ClassRanking tied = rank_ones({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 0});
  EXPECT_DOUBLE_EQ(tied.roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(tied.average_precision, 0.25);
  EXPECT_TRUE(std::isnan(rank_ones({0.1f, 0.9f}, {0, 0}).roc_auc));
  EXPECT_TRUE(std::isnan(rank_ones({0.1f, 0.9f}, {0, 0}).average_precision));
  EXPECT_TRUE(std::isnan(rank_ones({0.1f, 0.9f}, {1, 1}).roc_auc));
  EXPECT_DOUBLE_EQ(rank_ones({0.1f, 0.9f}, {1, 1}).average_precision, 1.0);
}

TEST(RankingMetrics, OneAgainstTheRestAveragedPlainAndBySupport) {
  // Labels 0 0 1 2. Class 0's positives score 0.7 and 0.3, its negatives 0.1 and 0.3: 3.5 of 4 pairs in order (the
  // tie counts half); its precision is 1 at the first threshold and 2/3 at the second. Classes 1 and 2 have their one
  // positive on top.
  const std::vector<float> p{0.7f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f, 0.1f, 0.8f, 0.1f, 0.3f, 0.5f, 0.2f};
  const Evaluation e = evaluate_scores(p, {0, 0, 1, 2}, 3, 0.5, 0);
  ASSERT_EQ(e.ranking.size(), 3u);
  EXPECT_DOUBLE_EQ(e.ranking[0].roc_auc, 0.875);
  EXPECT_DOUBLE_EQ(e.ranking[0].average_precision, (1.0 + 2.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(e.ranking[1].roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(e.ranking[2].average_precision, 1.0);
  EXPECT_DOUBLE_EQ(ranking_average(e, &ClassRanking::roc_auc, false), (0.875 + 2) / 3);
  EXPECT_DOUBLE_EQ(ranking_average(e, &ClassRanking::roc_auc, true), (2 * 0.875 + 2) / 4);
  const auto j = evaluation_json(e);
  EXPECT_DOUBLE_EQ(j["classes"][0]["roc_auc"].get<double>(), 0.875);
  EXPECT_DOUBLE_EQ(j["averages"]["weighted"]["roc_auc"].get<double>(), (2 * 0.875 + 2) / 4);
  EXPECT_FALSE(j["averages"]["micro"].contains("roc_auc"));
  const std::string text = format_evaluation(e);
  EXPECT_NE(text.find("   0.8750    0.8333        2\n"), std::string::npos) << text;  // class 0's row
  EXPECT_NE(text.find("        -         -        4\n"), std::string::npos) << text;  // micro: none
}

TEST(RankingMetrics, AClassWithoutSamplesIsLeftOutOfTheAverages) {
  // Three outputs, no sample of class 2: its ROC AUC and average precision are undefined, and shown so.
  const std::vector<float> p{0.8f, 0.1f, 0.1f, 0.3f, 0.6f, 0.1f};
  const Evaluation e = evaluate_scores(p, {0, 1}, 3, NAN, 0);
  EXPECT_TRUE(std::isnan(e.ranking[2].roc_auc));
  EXPECT_DOUBLE_EQ(ranking_average(e, &ClassRanking::roc_auc, false), 1.0);
  EXPECT_FALSE(evaluation_json(e)["classes"][2].contains("roc_auc"));
}

}  // namespace
}  // namespace nnplug
