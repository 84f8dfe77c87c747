#pragma once
// Class labels per step of a sequence (sequence tagging, a character language model): a model whose per-sample
// output is [steps, classes], trained by a loss of class labels on data whose targets are one whole number per step,
// as PyTorch's CrossEntropyLoss scores (N, C, T) logits against (N, T) labels and Keras's sparse categorical
// cross-entropy (N, T, C) ones. Every step is one classification: the loss is the mean over the batch's scored steps,
// the accuracy the share of scored steps predicted right. A negative label (PyTorch's ignore_index, -100 by default)
// marks a step that is not scored: padding.
#include <cstdint>
#include <vector>

#include "nnplug/backend.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/loss.hpp"

namespace nnplug {

class Model;

// Whether a model of this per-sample output, trained by this loss on data of `target_width` values per sample (0:
// class labels, or none), scores class labels per step: a loss of class indices on an output of rank 2 or more (a
// classifier of whole samples outputs rank 1), or a loss of values (nll: PyTorch's NLLLoss on (N, C, T)
// log-probabilities; categorical_focal_cross_entropy) on an output [steps..., classes > 1] against one target per
// step, which the trainer gives it as the step's class one-hot. A loss of values on targets shaped like the output
// regresses on them instead.
inline bool labels_per_step(const Loss& loss, const Shape& output, std::int64_t target_width) {
  if (output.rank() < 2) return false;
  if (loss.target_kind() == TargetKind::ClassIndex) return true;
  const std::int64_t classes = output[output.rank() - 1];
  return classes > 1 && target_width == output.numel() / classes;
}

// Whether the targets are a distribution over the classes at each step of the output [steps..., classes > 1], for a
// loss that takes a softmax of its outputs and class probabilities as targets (softmax_cross_entropy with "targets":
// "probabilities", kl_divergence): as PyTorch's CrossEntropyLoss takes (N, C, T) probabilities, each step is a
// softmax of its own, not one over the whole sample.
inline bool distributions_per_step(const Loss& loss, const Shape& output, std::int64_t target_width) {
  return loss.target_kind() == TargetKind::Values && loss.output_link() == OutputLink::Softmax && output.rank() >= 2 &&
         output[output.rank() - 1] > 1 && target_width == output.numel();
}

// Whether the model's outputs are scored a row per step: labels or distributions per step.
inline bool scores_steps(const Loss& loss, const Shape& output, std::int64_t target_width) {
  return labels_per_step(loss, output, target_width) || distributions_per_step(loss, output, target_width);
}

// How a report scores such a model's per-sample output: as `steps` rows of `width` class scores (steps 0: one row, the
// whole output, for a model that scores whole samples).
struct ScoredRows {
  std::int64_t width = 0, steps = 0;
};
inline ScoredRows scored_rows(const Loss& loss, const Shape& output, std::int64_t target_width) {
  if (!scores_steps(loss, output, target_width)) return {output.numel(), 0};
  const std::int64_t classes = output[output.rank() - 1];
  return {classes, output.numel() / classes};
}
// The same for `model`'s outputs on `data`: by its targets, or for samples without them as the model was trained.
ScoredRows scored_rows(const Loss& loss, const Model& model, const Dataset& data);

// The label a step's target value stands for: the value, or -1 for none (a negative value: padding; or a value no
// int32 holds, NaN or 1e30, which check_step_labels refuses and which is not converted meanwhile).
inline std::int32_t step_label(float value) { return value >= 0.0f && value < 2147483648.0f ? static_cast<std::int32_t>(value) : -1; }

// Throws ShapeError unless the data's targets are one label per step of the output [steps..., classes]: whole numbers
// below its classes, or negative (not scored); and unless the loss scores rows of that many classes.
void check_step_labels(const Loss& loss, const Shape& output, const Dataset& data);

// How many of each sample's steps have a label (step_label).
std::vector<std::int64_t> labelled_steps(const Dataset& data);

// Every step's label: step_label of the data's value targets, or of distributions per step their most probable class;
// -1 for every step of data without targets.
std::vector<std::int32_t> step_labels(const Dataset& data, std::int64_t steps);

// The scored steps' targets as `loss` takes them: `labels`, the steps' labels (int32) on the backend, for a loss of
// class labels; for a loss of values rows of `classes` values in `dtype`, into `rows`: the steps' `distributions`
// where given (every step scored), else their classes one-hot, from `host_labels`.
const Tensor& step_targets(const Loss& loss, const std::vector<std::int32_t>& host_labels, const Tensor& labels, std::int64_t classes, DType dtype,
                           Tensor& rows, const std::vector<float>* distributions = nullptr);

// The loss of the scored steps among `scores` (rows, classes), a row per step, into `value`: `target` holds the
// scored steps' targets as the loss takes them (step_targets), `rows` their rows (in the scores' dtype; undefined
// where every row is scored). With `dscores` defined, its gradient too, zero at the rows not scored; `gathered` and
// `dgathered` hold the scored rows meanwhile. Returns the scored rows' scores, for their accuracy.
const Tensor& score_step_rows(Backend& backend, Loss& loss, const Tensor& scores, const Tensor& rows, const Tensor& target, const Tensor& value,
                              const Tensor& dscores, Tensor& gathered, Tensor& dgathered);

}  // namespace nnplug
