#pragma once
// Scoring a classifier's outputs: class probabilities from raw outputs (through the loss's output link), the
// metrics of metrics.hpp gathered into one report, printed as tables or written as JSON (for `nnplug report`).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/framework/metrics.hpp"
#include "nnplug/framework/ranking_metrics.hpp"
#include "nnplug/loss.hpp"

namespace nnplug {

// The classes a model with `width` outputs scores: one per output (labels index the outputs, whether or not the
// data reaches the last one), and two for a single (sigmoid) output.
inline std::int64_t classes_of_outputs(std::int64_t width) { return width == 1 ? 2 : width; }

// outputs: rows of `width` raw model outputs. Returns rows of classes_of_outputs(width) probabilities: softmax or
// sigmoid per the link, unchanged for Identity, Scores and Sign. A single output becomes the pair (1 - p, p), where p
// is the sigmoid's probability or the output itself; under Sign, the class scores (-m, m) of its margin m.
std::vector<float> class_probabilities(const std::vector<float>& outputs, std::int64_t width, OutputLink link);

// Whether class_probabilities gives scores rather than probabilities under this link: the hinge losses' class scores
// and a margin's (the perceptron's, attribute_hinge's), which predict names score_k and an ensemble never averages
// with probabilities.
inline bool gives_class_scores(OutputLink link) { return link == OutputLink::Scores || link == OutputLink::Sign; }

struct Evaluation {
  std::int64_t samples = 0;
  std::int64_t steps = 0;         // with class labels per step (step_labels.hpp): the steps scored, each a classification
  double loss = 0.0;              // NaN when there is none (an ensemble of models scored on their averaged outputs)
  std::int64_t top_k = 0;         // 0 when there are too few classes for top-k to say anything
  double top_k_accuracy = 0.0;
  ConfusionMatrix confusion{1};
  std::vector<ClassRanking> ranking;  // per class, one against the rest: ROC AUC and average precision of its scores
};

// The mean of the classes' ROC AUCs or average precisions, plain (macro) or weighted by support, over the classes
// where it is defined (scikit-learn's one-vs-rest roc_auc_score and average_precision_score); NaN where none is.
double ranking_average(const Evaluation& e, double ClassRanking::*metric, bool weighted);

// probabilities: rows of `classes` values (arg-max is the prediction); top_k is dropped when k >= classes.
Evaluation evaluate_scores(const std::vector<float>& probabilities, const std::vector<std::int32_t>& labels,
                           std::int64_t classes, double loss, std::int64_t top_k);

// evaluate_scores of the rows whose label is not negative (a step not scored, a sample whose label is unknown). With
// steps > 0 the rows are the steps of labels.size() / steps samples, each step scored as a classification of its own.
Evaluation evaluate_labelled_rows(const std::vector<float>& probabilities, const std::vector<std::int32_t>& labels, std::int64_t classes,
                                  double loss, std::int64_t top_k, std::int64_t steps = 0);

// Accuracy, top-k, the confusion matrix (rows: actual class), per-class precision, recall, F1, specificity, ROC AUC,
// average precision and support, then macro, micro and weighted averages (the ranking metrics have no micro one). class_names may be empty (classes are then numbered).
std::string format_evaluation(const Evaluation& e, const std::vector<std::string>& class_names = {});
nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& class_names = {});

}  // namespace nnplug
