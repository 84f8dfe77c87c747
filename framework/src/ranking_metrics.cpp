#include "nnplug/framework/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace nnplug {

// Down the scores from the highest, a group of equal scores at a time (one threshold each): the ROC curve's
// trapezoids and the precision at each step of recall.
ClassRanking rank_scores(const std::vector<float>& scores, const std::vector<bool>& positive) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const auto positives = static_cast<double>(std::count(positive.begin(), positive.end(), true));
  const double negatives = static_cast<double>(scores.size()) - positives;
  double tp = 0, fp = 0, area = 0, precision_sum = 0;
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    double group_tp = 0;
    for (; end < order.size() && scores[order[end]] == scores[order[start]]; ++end) group_tp += positive[order[end]];
    const double group_fp = static_cast<double>(end - start) - group_tp;
    area += group_fp * (tp + group_tp / 2);  // the trapezoid over this threshold's false positives
    tp += group_tp, fp += group_fp;
    if (group_tp > 0) precision_sum += group_tp * tp / (tp + fp);  // recall's step times the precision there
    start = end;
  }
  const double nan = std::nan("");
  return {positives > 0 && negatives > 0 ? area / (positives * negatives) : nan, positives > 0 ? precision_sum / positives : nan};
}

ClassRanking rank_class(const std::vector<float>& scores, const std::vector<std::int32_t>& labels, std::int64_t classes, std::int64_t c) {
  std::vector<float> column(labels.size());
  std::vector<bool> positive(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    column[i] = scores[i * static_cast<std::size_t>(classes) + static_cast<std::size_t>(c)], positive[i] = labels[i] == c;
  return rank_scores(column, positive);
}

std::string ranking_text(double value) { return std::isnan(value) ? std::string("-") : fmt::format("{:.4f}", value); }

}  // namespace nnplug
