#pragma once
// How well scores rank one class's samples above the rest, whatever threshold would decide them: the area under the
// ROC curve and average precision (the area under the precision-recall curve as a step sum), as scikit-learn's
// roc_auc_score and average_precision_score compute them, ties included. Keras's AUC metric approximates the first
// with 200 thresholds; these are exact.
#include <cmath>
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

// The average of the metric's values where they are defined (not NaN), each weighed by weight(i) (class support for a
// weighted average); NaN where none is.
template <typename Value, typename Weight>
double defined_average(std::size_t count, Value value, Weight weight) {
  double sum = 0, weights = 0;
  for (std::size_t i = 0; i < count; ++i)
    if (const double v = value(i); !std::isnan(v)) sum += weight(i) * v, weights += weight(i);
  return weights > 0 ? sum / weights : std::nan("");
}

// A ranking metric in a table: 4 decimals, or "-" where it is undefined (NaN).
std::string ranking_text(double value);

}  // namespace nnplug
