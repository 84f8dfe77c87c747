#include "nnplug/framework/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

std::vector<float> class_probabilities(const std::vector<float>& outputs, std::int64_t width, std::int64_t classes, OutputLink link) {
  const bool binary = width == 1 && classes == 2;
  if (width != classes && !binary)
    throw ShapeError(fmt::format("the model outputs {} values per sample for {} classes", width, classes));
  const auto rows = outputs.size() / static_cast<std::size_t>(width);
  std::vector<float> p(rows * static_cast<std::size_t>(classes));
  auto sigmoid = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = outputs.data() + r * static_cast<std::size_t>(width);
    float* out = p.data() + r * static_cast<std::size_t>(classes);
    if (binary) {
      const double one = link == OutputLink::Identity ? in[0] : sigmoid(in[0]);
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
  return e;
}

namespace {

std::string class_name(const std::vector<std::string>& names, std::int64_t c) {
  return c < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(c)] : std::to_string(c);
}

std::string format(const char* pattern, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

}  // namespace

std::string format_evaluation(const Evaluation& e, const std::vector<std::string>& names) {
  const ConfusionMatrix& m = e.confusion;
  const std::int64_t k = m.classes();
  std::string s;
  if (!std::isnan(e.loss)) s += format("loss %.4f  ", e.loss);
  s += format("accuracy %.4f", m.accuracy());
  if (e.top_k) s += format("  top-%lld accuracy %.4f", static_cast<long long>(e.top_k), e.top_k_accuracy);
  s += format("  (%lld samples)\n\nconfusion matrix (rows: actual class, columns: predicted)\n", static_cast<long long>(e.samples));
  std::size_t label_width = 8;  // "weighted"
  for (std::int64_t c = 0; c < k; ++c) label_width = std::max(label_width, class_name(names, c).size());
  const int w = static_cast<int>(label_width);
  s += format("%*s", w, "");
  for (std::int64_t c = 0; c < k; ++c) s += format(" %6lld", static_cast<long long>(c));
  s += "\n";
  for (std::int64_t a = 0; a < k; ++a) {
    s += format("%*s", w, class_name(names, a).c_str());
    for (std::int64_t p = 0; p < k; ++p) s += format(" %6lld", static_cast<long long>(m.at(a, p)));
    s += "\n";
  }
  s += format("\n%*s %9s %9s %9s %11s %8s\n", w, "class", "precision", "recall", "f1", "specificity", "support");
  for (std::int64_t c = 0; c < k; ++c)
    s += format("%*s %9.4f %9.4f %9.4f %11.4f %8lld\n", w, class_name(names, c).c_str(), m.precision(c), m.recall(c), m.f1(c),
                m.specificity(c), static_cast<long long>(m.support(c)));
  using A = ConfusionMatrix::Average;
  for (auto [label, a] : {std::pair{"macro", A::Macro}, {"micro", A::Micro}, {"weighted", A::Weighted}})
    s += format("%*s %9.4f %9.4f %9.4f %11.4f %8lld\n", w, label, m.precision(a), m.recall(a), m.f1(a), m.specificity(a),
                static_cast<long long>(m.total()));
  return s;
}

nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& names) {
  const ConfusionMatrix& m = e.confusion;
  nlohmann::json j;
  j["samples"] = e.samples;
  if (!std::isnan(e.loss)) j["loss"] = e.loss;
  j["accuracy"] = m.accuracy();
  if (e.top_k) j["top_k"] = {{"k", e.top_k}, {"accuracy", e.top_k_accuracy}};
  nlohmann::json confusion = nlohmann::json::array(), classes = nlohmann::json::array();
  for (std::int64_t a = 0; a < m.classes(); ++a) {
    nlohmann::json row = nlohmann::json::array();
    for (std::int64_t p = 0; p < m.classes(); ++p) row.push_back(m.at(a, p));
    confusion.push_back(row);
    classes.push_back({{"name", class_name(names, a)}, {"precision", m.precision(a)}, {"recall", m.recall(a)}, {"f1", m.f1(a)},
                       {"specificity", m.specificity(a)}, {"support", m.support(a)}});
  }
  j["confusion_matrix"] = confusion;
  j["classes"] = classes;
  using A = ConfusionMatrix::Average;
  for (auto [label, a] : {std::pair{"macro", A::Macro}, {"micro", A::Micro}, {"weighted", A::Weighted}})
    j["averages"][label] = {{"precision", m.precision(a)}, {"recall", m.recall(a)}, {"f1", m.f1(a)}, {"specificity", m.specificity(a)}};
  return j;
}

}  // namespace nnplug
