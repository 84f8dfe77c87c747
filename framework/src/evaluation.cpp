#include "nnplug/framework/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <utility>

#include <fmt/format.h>

namespace nnplug {

std::vector<float> class_probabilities(const std::vector<float>& outputs, std::int64_t width, OutputLink link) {
  const std::int64_t classes = classes_of_outputs(width);
  const bool binary = width == 1;
  const auto rows = outputs.size() / static_cast<std::size_t>(width);
  std::vector<float> p(rows * static_cast<std::size_t>(classes));
  auto sigmoid = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = outputs.data() + r * static_cast<std::size_t>(width);
    float* out = p.data() + r * static_cast<std::size_t>(classes);
    if (binary && link == OutputLink::Sign) {
      // A margin m scores class 1 by m and class 0 by -m: its sign decides (class 0 at 0), its size ranks each class.
      out[0] = -in[0], out[1] = in[0];
    } else if (binary) {
      // Class 1's share: the sigmoid's probability, or the output itself, regressed on 0 or 1.
      const double one = link == OutputLink::Sigmoid ? sigmoid(in[0]) : in[0];
      out[0] = static_cast<float>(1.0 - one), out[1] = static_cast<float>(one);
    } else if (link == OutputLink::Softmax) {
      const double top = *std::max_element(in, in + width);  // shifted, so that exp cannot overflow
      double sum = 0.0;
      for (std::int64_t c = 0; c < width; ++c) sum += std::exp(in[c] - top);
      for (std::int64_t c = 0; c < width; ++c) out[c] = static_cast<float>(std::exp(in[c] - top) / sum);
    } else {
      for (std::int64_t c = 0; c < width; ++c) out[c] = link == OutputLink::Sigmoid ? static_cast<float>(sigmoid(in[c])) : in[c];
    }
  }
  return p;
}

Evaluation evaluate_scores(const std::vector<float>& probabilities, const std::vector<std::int32_t>& labels,
                           std::int64_t classes, double loss, std::int64_t top_k) {
  Evaluation e;
  e.samples = static_cast<std::int64_t>(labels.size());
  e.loss = loss;
  e.confusion = ConfusionMatrix::from_scores(probabilities, labels, classes);
  if (top_k > 0 && top_k < classes) {
    e.top_k = top_k;
    e.top_k_accuracy = top_k_accuracy(probabilities, labels, classes, top_k);
  }
  for (std::int64_t c = 0; c < classes; ++c) e.ranking.push_back(rank_class(probabilities, labels, classes, c));
  return e;
}

Evaluation evaluate_labelled_rows(const std::vector<float>& probabilities, const std::vector<std::int32_t>& labels, std::int64_t classes,
                                  double loss, std::int64_t top_k, std::int64_t steps) {
  std::vector<float> kept;
  std::vector<std::int32_t> kept_labels;
  const auto width = static_cast<std::size_t>(classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    kept.insert(kept.end(), probabilities.begin() + static_cast<std::ptrdiff_t>(i * width),
                probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
    kept_labels.push_back(labels[i]);
  }
  Evaluation e = evaluate_scores(kept, kept_labels, classes, loss, top_k);
  if (steps > 0) e.steps = std::exchange(e.samples, static_cast<std::int64_t>(labels.size()) / steps);
  return e;
}

double ranking_average(const Evaluation& e, double ClassRanking::*metric, bool weighted) {
  return defined_average(
      e.ranking.size(), [&](std::size_t c) { return e.ranking[c].*metric; },
      [&](std::size_t c) { return weighted ? static_cast<double>(e.confusion.support(static_cast<std::int64_t>(c))) : 1.0; });
}

namespace {

std::string class_name(const std::vector<std::string>& names, std::int64_t c) {
  return c < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(c)] : fmt::format("{}", c);
}

}  // namespace

std::string format_evaluation(const Evaluation& e, const std::vector<std::string>& names) {
  const ConfusionMatrix& m = e.confusion;
  const std::int64_t k = m.classes();
  fmt::memory_buffer s;
  const auto out = std::back_inserter(s);
  if (!std::isnan(e.loss)) fmt::format_to(out, "loss {:.4f}  ", e.loss);
  fmt::format_to(out, "accuracy {:.4f}", m.accuracy());
  if (e.top_k) fmt::format_to(out, "  top-{} accuracy {:.4f}", e.top_k, e.top_k_accuracy);
  if (e.steps) fmt::format_to(out, "  ({} steps of {} samples)", e.steps, e.samples);
  else fmt::format_to(out, "  ({} samples)", e.samples);
  fmt::format_to(out, "\n\nconfusion matrix (rows: actual class, columns: predicted)\n");
  // The columns are numbered, as names would make them too wide; a named row says its number too.
  const auto row_name = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(names.size()) ? fmt::format("{} {}", c, class_name(names, c)) : class_name(names, c);
  };
  std::size_t w = 8;  // "weighted"
  for (std::int64_t c = 0; c < k; ++c) w = std::max(w, row_name(c).size());
  fmt::format_to(out, "{:>{}}", "", w);
  for (std::int64_t c = 0; c < k; ++c) fmt::format_to(out, " {:>6}", c);
  fmt::format_to(out, "\n");
  for (std::int64_t a = 0; a < k; ++a) {
    fmt::format_to(out, "{:>{}}", row_name(a), w);
    for (std::int64_t p = 0; p < k; ++p) fmt::format_to(out, " {:>6}", m.at(a, p));
    fmt::format_to(out, "\n");
  }
  fmt::format_to(out, "\n{:>{}} {:>9} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9} {:>8}\n", "class", w, "precision", "recall", "f1", "specificity",
                 "iou", "roc_auc", "avg_prec", "support");
  // A ranking metric that a class cannot have (no positive, or no negative, sample) or an average cannot (micro) is "-".
  const auto row = [&](const std::string& label, double precision, double recall, double f1, double specificity, double iou, double roc_auc,
                       double average_precision, std::int64_t support) {
    fmt::format_to(out, "{:>{}} {:9.4f} {:9.4f} {:9.4f} {:11.4f} {:9.4f} {:>9} {:>9} {:>8}\n", label, w, precision, recall, f1, specificity, iou,
                   ranking_text(roc_auc), ranking_text(average_precision), support);
  };
  for (std::int64_t c = 0; c < k; ++c) {
    const ClassRanking& r = e.ranking[static_cast<std::size_t>(c)];
    row(class_name(names, c), m.precision(c), m.recall(c), m.f1(c), m.specificity(c), m.iou(c), r.roc_auc, r.average_precision, m.support(c));
  }
  using A = ConfusionMatrix::Average;
  for (auto [label, a] : {std::pair{"macro", A::Macro}, {"micro", A::Micro}, {"weighted", A::Weighted}}) {
    const bool ranks = a != A::Micro;
    row(label, m.precision(a), m.recall(a), m.f1(a), m.specificity(a), m.iou(a), ranks ? ranking_average(e, &ClassRanking::roc_auc, a == A::Weighted) : NAN,
        ranks ? ranking_average(e, &ClassRanking::average_precision, a == A::Weighted) : NAN, m.total());
  }
  return fmt::to_string(s);
}

nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& names) {
  const ConfusionMatrix& m = e.confusion;
  nlohmann::json j;
  j["samples"] = e.samples;
  if (e.steps) j["steps"] = e.steps;
  if (!std::isnan(e.loss)) j["loss"] = e.loss;
  j["accuracy"] = m.accuracy();
  if (e.top_k) j["top_k"] = {{"k", e.top_k}, {"accuracy", e.top_k_accuracy}};
  nlohmann::json confusion = nlohmann::json::array(), classes = nlohmann::json::array();
  for (std::int64_t a = 0; a < m.classes(); ++a) {
    nlohmann::json row = nlohmann::json::array();
    for (std::int64_t p = 0; p < m.classes(); ++p) row.push_back(m.at(a, p));
    confusion.push_back(row);
    classes.push_back({{"name", class_name(names, a)}, {"precision", m.precision(a)}, {"recall", m.recall(a)}, {"f1", m.f1(a)},
                       {"specificity", m.specificity(a)}, {"iou", m.iou(a)}, {"support", m.support(a)}});
    // JSON has no NaN: an undefined ranking metric is left out.
    const ClassRanking& r = e.ranking[static_cast<std::size_t>(a)];
    if (!std::isnan(r.roc_auc)) classes.back()["roc_auc"] = r.roc_auc;
    if (!std::isnan(r.average_precision)) classes.back()["average_precision"] = r.average_precision;
  }
  j["confusion_matrix"] = confusion;
  j["classes"] = classes;
  using A = ConfusionMatrix::Average;
  for (auto [label, a] : {std::pair{"macro", A::Macro}, {"micro", A::Micro}, {"weighted", A::Weighted}})
    j["averages"][label] = {{"precision", m.precision(a)}, {"recall", m.recall(a)}, {"f1", m.f1(a)}, {"specificity", m.specificity(a)},
                            {"iou", m.iou(a)}};
  for (auto [label, weighted] : {std::pair{"macro", false}, {"weighted", true}})
    for (auto [key, metric] : {std::pair{"roc_auc", &ClassRanking::roc_auc}, {"average_precision", &ClassRanking::average_precision}})
      if (const double v = ranking_average(e, metric, weighted); !std::isnan(v)) j["averages"][label][key] = v;
  return j;
}

}  // namespace nnplug
