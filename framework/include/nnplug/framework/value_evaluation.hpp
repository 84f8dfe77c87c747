#pragma once
// Scoring a model whose targets are values (a data section's "targets") rather than class labels. Regression: the
// mean absolute error, root mean squared error and R² of each target and over all of them (R² averaged uniformly
// over the targets, as scikit-learn's r2_score). Multi-label (a loss of probabilities, sigmoid link): each label's
// precision, recall and F1 at probability 0.5, their macro averages, the share of outputs on the right side
// (Keras's binary accuracy) and of samples whose every label is right (scikit-learn's subset accuracy), and each
// label's ROC AUC and average precision.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/framework/target_scaling.hpp"
#include "nnplug/loss.hpp"

namespace nnplug {

struct TargetScores {
  std::string name;
  double mae = 0.0, rmse = 0.0, r2 = 0.0;           // regression
  double precision = 0.0, recall = 0.0, f1 = 0.0;   // multi-label; a ratio of 0 / 0 is 0 (zero_division=0)
  std::int64_t support = 0;                         // multi-label: the samples whose target is 1
  // Multi-label: how the label's probabilities rank its positive samples above the rest (ranking_metrics.hpp);
  // NaN where undefined. The macro row averages the labels where they are defined.
  double roc_auc = std::nan(""), average_precision = std::nan("");
};

// The targets a table lists (format_value_evaluation, the report): an autoencoder's 784 pixels would bury the
// totals, so tables list the first ones and say how many more the JSON holds.
inline constexpr std::size_t kTargetsListed = 32;

struct ValueEvaluation {
  std::int64_t samples = 0;
  double loss = 0.0;            // NaN when there is none (an ensemble scored on its averaged outputs)
  bool multi_label = false;
  std::vector<TargetScores> targets;
  TargetScores overall;         // regression: over every value; multi-label: macro averages (support: the sum)
  double accuracy = 0.0;        // multi-label: the share of outputs on their target's side of label_threshold
  double exact_match = 0.0;     // multi-label: the share of samples with every label right
};

// Whether a loss under this link takes value targets as labels, 0 or 1 each (multi-label), deciding each where its
// output is positive: the sigmoid's logits and the perceptron's margins.
inline bool scores_labels(OutputLink link) { return link == OutputLink::Sigmoid || link == OutputLink::Sign; }

// Whether a loss under this link takes value targets as rows over the classes, scored against each row's most
// probable class: probabilities under a softmax, one-hot rows under class scores (categorical_hinge).
inline bool reads_class_rows(OutputLink link) { return link == OutputLink::Softmax || link == OutputLink::Scores; }

// The value above which a label's output says yes: a probability above 0.5, a margin (OutputLink::Sign) above 0.
inline float label_threshold(OutputLink link) { return link == OutputLink::Sign ? 0.0f : 0.5f; }

// Outputs through a loss's link, value by value: the logistic sigmoid's probability under OutputLink::Sigmoid; under
// Sign the margins themselves (their sign decides, their size ranks, as scikit-learn's decision_function); under
// Identity the outputs themselves, in the targets' units (back through the model's target scaling, where its
// targets were standardized).
std::vector<float> link_values(std::vector<float> outputs, OutputLink link, const TargetScaling& scaling = {});

// predictions: rows of `width` values through the loss's link (link_values); targets: as many values. link: the
// loss's; under a link that scores labels (scores_labels) each target is a label, decided at label_threshold and
// ranked by its prediction, else a value regressed. names: one per target (empty: numbered).
ValueEvaluation evaluate_values(const std::vector<float>& predictions, const std::vector<float>& targets, std::int64_t width,
                                OutputLink link, double loss, const std::vector<std::string>& names = {});

std::string format_value_evaluation(const ValueEvaluation& e);
nlohmann::json value_evaluation_json(const ValueEvaluation& e);

}  // namespace nnplug
