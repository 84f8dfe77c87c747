#pragma once
// How well scores rank one class's samples above the rest, whatever threshold would decide them: the area under the
// ROC curve and average precision (the area under the precision-recall curve as a step sum), as scikit-learn's
// roc_auc_score and average_precision_score compute them, ties included. Keras's AUC metric approximates the first
// with 200 thresholds; these are exact.
#include <cstdint>
#include <string>
#include <vector>

namespace nnplug {

// Both are NaN where there is no positive sample, and the ROC area also where there is no negative one.
struct ClassRanking {
  double roc_auc, average_precision;
};
// One score per sample, and whether the sample is positive.
ClassRanking rank_scores(const std::vector<float>& scores, const std::vector<bool>& positive);
// scores: rows of `classes` values; a sample is positive for class c where its label is c.
ClassRanking rank_class(const std::vector<float>& scores, const std::vector<std::int32_t>& labels, std::int64_t classes, std::int64_t c);

// A ranking metric in a table: 4 decimals, or "-" where it is undefined (NaN).
std::string ranking_text(double value);

}  // namespace nnplug
