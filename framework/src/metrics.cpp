#include "nnplug/framework/metrics.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

namespace {
double ratio(double a, double b) { return b == 0 ? 0.0 : a / b; }
}  // namespace

ConfusionMatrix::ConfusionMatrix(std::int64_t classes) : classes_(classes) {
  if (classes < 1) throw InvalidArgument("a confusion matrix needs at least one class");
  counts_.assign(static_cast<std::size_t>(classes * classes), 0);
}

ConfusionMatrix ConfusionMatrix::from_scores(const std::vector<float>& scores, const std::vector<std::int32_t>& labels,
                                             std::int64_t classes) {
  if (scores.size() != labels.size() * static_cast<std::size_t>(classes))
    throw ShapeError(fmt::format("{} scores do not fit {} rows of {} classes", scores.size(), labels.size(), classes));
  ConfusionMatrix m(classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* row = scores.data() + i * static_cast<std::size_t>(classes);
    m.add(labels[i], static_cast<std::int32_t>(std::max_element(row, row + classes) - row));
  }
  return m;
}

void ConfusionMatrix::add(std::int32_t actual, std::int32_t predicted, std::int64_t count) {
  if (actual < 0 || actual >= classes_ || predicted < 0 || predicted >= classes_)
    throw InvalidArgument(fmt::format("class {} is outside [0, {})", std::max(actual, predicted), classes_));
  counts_[static_cast<std::size_t>(actual * classes_ + predicted)] += count;
}

std::int64_t ConfusionMatrix::total() const {
  std::int64_t t = 0;
  for (auto c : counts_) t += c;
  return t;
}

std::int64_t ConfusionMatrix::false_positives(std::int64_t c) const {
  std::int64_t s = 0;
  for (std::int64_t a = 0; a < classes_; ++a) if (a != c) s += at(a, c);
  return s;
}

std::int64_t ConfusionMatrix::false_negatives(std::int64_t c) const {
  std::int64_t s = 0;
  for (std::int64_t p = 0; p < classes_; ++p) if (p != c) s += at(c, p);
  return s;
}

std::int64_t ConfusionMatrix::true_negatives(std::int64_t c) const {
  return total() - true_positives(c) - false_positives(c) - false_negatives(c);
}

double ConfusionMatrix::accuracy() const {
  std::int64_t correct = 0;
  for (std::int64_t c = 0; c < classes_; ++c) correct += at(c, c);
  return ratio(static_cast<double>(correct), static_cast<double>(total()));
}

double ConfusionMatrix::precision(std::int64_t c) const {
  return ratio(static_cast<double>(true_positives(c)), static_cast<double>(true_positives(c) + false_positives(c)));
}
double ConfusionMatrix::recall(std::int64_t c) const {
  return ratio(static_cast<double>(true_positives(c)), static_cast<double>(support(c)));
}
double ConfusionMatrix::f1(std::int64_t c) const {
  const double p = precision(c), r = recall(c);
  return ratio(2 * p * r, p + r);
}
double ConfusionMatrix::specificity(std::int64_t c) const {
  return ratio(static_cast<double>(true_negatives(c)), static_cast<double>(true_negatives(c) + false_positives(c)));
}
double ConfusionMatrix::iou(std::int64_t c) const {
  return ratio(static_cast<double>(true_positives(c)), static_cast<double>(true_positives(c) + false_positives(c) + false_negatives(c)));
}

template <typename F>
double ConfusionMatrix::average(Average a, F per_class, double micro) const {
  if (a == Average::Micro) return micro;
  double sum = 0, weights = 0;
  for (std::int64_t c = 0; c < classes_; ++c) {
    if (!named(c)) continue;
    const double w = a == Average::Weighted ? static_cast<double>(support(c)) : 1.0;
    sum += w * per_class(c);
    weights += w;
  }
  return ratio(sum, weights);
}

double ConfusionMatrix::precision(Average a) const {
  // Micro: every prediction counts once, so micro precision = micro recall = accuracy for single-label data.
  return average(a, [this](std::int64_t c) { return precision(c); }, accuracy());
}
double ConfusionMatrix::recall(Average a) const {
  return average(a, [this](std::int64_t c) { return recall(c); }, accuracy());
}
double ConfusionMatrix::f1(Average a) const {
  return average(a, [this](std::int64_t c) { return f1(c); }, accuracy());
}
double ConfusionMatrix::specificity(Average a) const {
  std::int64_t tn = 0, fp = 0;
  for (std::int64_t c = 0; c < classes_; ++c)
    if (named(c)) tn += true_negatives(c), fp += false_positives(c);
  return average(a, [this](std::int64_t c) { return specificity(c); }, ratio(static_cast<double>(tn), static_cast<double>(tn + fp)));
}
double ConfusionMatrix::iou(Average a) const {
  std::int64_t tp = 0, wrong = 0;
  for (std::int64_t c = 0; c < classes_; ++c) tp += true_positives(c), wrong += false_positives(c) + false_negatives(c);
  return average(a, [this](std::int64_t c) { return iou(c); }, ratio(static_cast<double>(tp), static_cast<double>(tp + wrong)));
}

double top_k_accuracy(const std::vector<float>& scores, const std::vector<std::int32_t>& labels, std::int64_t classes,
                      std::int64_t k) {
  if (k < 1 || k > classes) throw InvalidArgument(fmt::format("top-k needs 1 <= k <= {}, got {}", classes, k));
  if (labels.empty()) return 0.0;
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* row = scores.data() + i * static_cast<std::size_t>(classes);
    const float truth = row[labels[i]];
    // Ranked within the top k when fewer than k classes score strictly higher.
    std::int64_t higher = 0;
    for (std::int64_t c = 0; c < classes; ++c) higher += row[c] > truth;
    hits += higher < k;
  }
  return static_cast<double>(hits) / static_cast<double>(labels.size());
}

}  // namespace nnplug
