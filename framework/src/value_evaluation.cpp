#include "nnplug/framework/value_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <span>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/ranking_metrics.hpp"

namespace nnplug {

std::vector<float> link_values(std::vector<float> outputs, OutputLink link, const TargetScaling& scaling) {
  if (link == OutputLink::Identity) scaling.restore(outputs);
  if (link == OutputLink::Sigmoid)
    for (float& v : outputs) v = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  return outputs;
}

namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

void score_regression(const std::vector<float>& predictions, const std::vector<float>& targets, ValueEvaluation& e) {
  const std::size_t w = e.targets.size(), rows = static_cast<std::size_t>(e.samples);
  const auto n = static_cast<double>(rows);
  double absolute = 0.0, squared = 0.0, r2 = 0.0;
  for (std::size_t c = 0; c < w; ++c) {
    double mean = 0.0, column_absolute = 0.0, residual = 0.0, total = 0.0;
    for (std::size_t r = 0; r < rows; ++r) mean += targets[r * w + c];
    mean /= n;
    for (std::size_t r = 0; r < rows; ++r) {
      const double t = targets[r * w + c], d = predictions[r * w + c] - t;
      column_absolute += std::fabs(d), residual += d * d, total += (t - mean) * (t - mean);
    }
    TargetScores& s = e.targets[c];
    s.mae = column_absolute / n, s.rmse = std::sqrt(residual / n);
    // A constant target: R² is 1 for exact predictions and 0 otherwise, as scikit-learn's (force_finite).
    s.r2 = total > 0 ? 1.0 - residual / total : residual == 0 ? 1.0 : 0.0;
    absolute += column_absolute, squared += residual, r2 += s.r2;
  }
  const double values = n * static_cast<double>(w);
  e.overall = {"all", absolute / values, std::sqrt(squared / values), r2 / static_cast<double>(w)};
}

// scores: probabilities or margins, a label's yes above threshold.
void score_labels(const std::vector<float>& scores, const std::vector<float>& targets, float threshold, ValueEvaluation& e) {
  const std::size_t w = e.targets.size(), rows = static_cast<std::size_t>(e.samples);
  std::int64_t right = 0, exact = 0;
  std::vector<std::int64_t> true_positives(w), false_positives(w), false_negatives(w);
  for (std::size_t r = 0; r < rows; ++r) {
    bool all_right = true;
    for (std::size_t c = 0; c < w; ++c) {
      const bool predicted = scores[r * w + c] > threshold, actual = targets[r * w + c] > 0.5f;
      true_positives[c] += predicted && actual, false_positives[c] += predicted && !actual, false_negatives[c] += !predicted && actual;
      right += predicted == actual;
      all_right = all_right && predicted == actual;
    }
    exact += all_right;
  }
  e.overall.name = "macro";
  for (std::size_t c = 0; c < w; ++c) {
    TargetScores& s = e.targets[c];
    const auto tp = static_cast<double>(true_positives[c]), fp = static_cast<double>(false_positives[c]),
               fn = static_cast<double>(false_negatives[c]);
    s.precision = ratio(tp, tp + fp), s.recall = ratio(tp, tp + fn), s.f1 = ratio(2 * tp, 2 * tp + fp + fn);
    s.support = true_positives[c] + false_negatives[c];
    e.overall.precision += s.precision / static_cast<double>(w), e.overall.recall += s.recall / static_cast<double>(w);
    e.overall.f1 += s.f1 / static_cast<double>(w), e.overall.support += s.support;
    std::vector<float> column(rows);
    std::vector<bool> positive(rows);
    for (std::size_t r = 0; r < rows; ++r) column[r] = scores[r * w + c], positive[r] = targets[r * w + c] > 0.5f;
    const ClassRanking ranking = rank_scores(column, positive);
    s.roc_auc = ranking.roc_auc, s.average_precision = ranking.average_precision;
  }
  // The macro averages of the ranking metrics, over the labels where they are defined.
  for (auto metric : {&TargetScores::roc_auc, &TargetScores::average_precision})
    e.overall.*metric = defined_average(e.targets.size(), [&](std::size_t t) { return e.targets[t].*metric; }, [](std::size_t) { return 1.0; });
  e.accuracy = static_cast<double>(right) / (static_cast<double>(rows) * static_cast<double>(w));
  e.exact_match = static_cast<double>(exact) / static_cast<double>(rows);
}

}  // namespace

ValueEvaluation evaluate_values(const std::vector<float>& predictions, const std::vector<float>& targets, std::int64_t width,
                                OutputLink link, double loss, const std::vector<std::string>& names) {
  if (width <= 0 || predictions.size() != targets.size() || predictions.size() % static_cast<std::size_t>(width) != 0)
    throw InvalidArgument(fmt::format("{} predictions and {} targets are not rows of {} values", predictions.size(), targets.size(), width));
  ValueEvaluation e;
  const auto w = static_cast<std::size_t>(width);
  e.samples = static_cast<std::int64_t>(predictions.size() / w);
  e.loss = loss;
  e.multi_label = scores_labels(link);
  e.targets.resize(w);
  for (std::size_t c = 0; c < w; ++c) e.targets[c].name = c < names.size() ? names[c] : fmt::format("target_{}", c);
  if (e.samples == 0) return e;
  if (e.multi_label) score_labels(predictions, targets, label_threshold(link), e);
  else score_regression(predictions, targets, e);
  return e;
}

std::string format_value_evaluation(const ValueEvaluation& e) {
  fmt::memory_buffer s;
  const auto out = std::back_inserter(s);
  const std::span<const TargetScores> listed(e.targets.data(), std::min(e.targets.size(), kTargetsListed));
  const auto unlisted = [&] {
    if (e.targets.size() > listed.size()) fmt::format_to(out, "... and {} more (every one in the JSON)\n", e.targets.size() - listed.size());
  };
  if (!std::isnan(e.loss)) fmt::format_to(out, "loss {:.4f}  ", e.loss);
  std::size_t w = 6;  // "target"
  for (const auto& t : listed) w = std::max(w, t.name.size());
  if (!e.multi_label) {
    fmt::format_to(out, "mae {:.4f}  rmse {:.4f}  r2 {:.4f}  ({} samples)\n\n{:>{}} {:>10} {:>10} {:>10}\n", e.overall.mae, e.overall.rmse,
                   e.overall.r2, e.samples, "target", w, "mae", "rmse", "r2");
    for (const auto& t : listed) fmt::format_to(out, "{:>{}} {:10.4f} {:10.4f} {:10.4f}\n", t.name, w, t.mae, t.rmse, t.r2);
    unlisted();
    return fmt::to_string(s);
  }
  fmt::format_to(out, "accuracy {:.4f}  exact match {:.4f}  ({} samples)\n\n{:>{}} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n", e.accuracy,
                 e.exact_match, e.samples, "label", w, "precision", "recall", "f1", "roc_auc", "avg_prec", "support");
  const auto row = [&](const TargetScores& t) {
    fmt::format_to(out, "{:>{}} {:9.4f} {:9.4f} {:9.4f} {:>9} {:>9} {:>8}\n", t.name, w, t.precision, t.recall, t.f1, ranking_text(t.roc_auc),
                   ranking_text(t.average_precision), t.support);
  };
  for (const auto& t : listed) row(t);
  unlisted();
  row(e.overall);
  return fmt::to_string(s);
}

nlohmann::json value_evaluation_json(const ValueEvaluation& e) {
  nlohmann::json j;
  j["samples"] = e.samples;
  if (!std::isnan(e.loss)) j["loss"] = e.loss;
  const auto scores = [&](const TargetScores& t) {
    if (!e.multi_label) return nlohmann::json{{"name", t.name}, {"mae", t.mae}, {"rmse", t.rmse}, {"r2", t.r2}};
    nlohmann::json j = {{"name", t.name}, {"precision", t.precision}, {"recall", t.recall}, {"f1", t.f1}, {"support", t.support}};
    if (!std::isnan(t.roc_auc)) j["roc_auc"] = t.roc_auc;  // JSON has no NaN: an undefined metric is left out
    if (!std::isnan(t.average_precision)) j["average_precision"] = t.average_precision;
    return j;
  };
  if (e.multi_label) {
    j["accuracy"] = e.accuracy, j["exact_match"] = e.exact_match;
    j["macro"] = scores(e.overall);
    j["macro"].erase("name");
  } else {
    j["mae"] = e.overall.mae, j["rmse"] = e.overall.rmse, j["r2"] = e.overall.r2;
  }
  j["targets"] = nlohmann::json::array();
  for (const auto& t : e.targets) j["targets"].push_back(scores(t));
  return j;
}

}  // namespace nnplug
