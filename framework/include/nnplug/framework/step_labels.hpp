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

// Whether a model of this per-sample output, trained by this loss, scores class labels per step: a loss of class
// indices on an output of rank 2 or more (a classifier of whole samples outputs rank 1).
inline bool labels_per_step(const Loss& loss, const Shape& output) {
  return loss.target_kind() == TargetKind::ClassIndex && output.rank() >= 2;
}

// How a report scores such a model's per-sample output: as `steps` rows of `width` class scores (steps 0: one row, the
// whole output, for a model that scores whole samples).
struct ScoredRows {
  std::int64_t width = 0, steps = 0;
};
inline ScoredRows scored_rows(const Loss& loss, const Shape& output) {
  if (!labels_per_step(loss, output)) return {output.numel(), 0};
  const std::int64_t classes = output[output.rank() - 1];
  return {classes, output.numel() / classes};
}

// The label a step's target value stands for: the value, or -1 for none (a negative value: padding; or a value no
// int32 holds, NaN or 1e30, which check_step_labels refuses and which is not converted meanwhile).
inline std::int32_t step_label(float value) { return value >= 0.0f && value < 2147483648.0f ? static_cast<std::int32_t>(value) : -1; }

// Throws ShapeError unless the data's targets are one label per step of the output [steps..., classes]: whole numbers
// below its classes, or negative (not scored).
void check_step_labels(const Shape& output, const Dataset& data);

// How many of each sample's steps have a label (step_label).
std::vector<std::int64_t> labelled_steps(const Dataset& data);

// Every step's label (step_label of the data's value targets), -1 for every step of data without targets.
std::vector<std::int32_t> step_labels(const Dataset& data, std::int64_t steps);

// The loss of the scored steps among `scores` (rows, classes), a row per step, into `value`: `labels` (int32) holds
// the scored steps' labels and `rows` their rows (in the scores' dtype; undefined where every row is scored). With
// `dscores` defined, its gradient too, zero at the rows not scored; `gathered` and `dgathered` hold the scored rows
// meanwhile. Returns the scored rows' scores, for their accuracy.
const Tensor& score_step_rows(Backend& backend, Loss& loss, const Tensor& scores, const Tensor& rows, const Tensor& labels, const Tensor& value,
                              const Tensor& dscores, Tensor& gathered, Tensor& dgathered);

}  // namespace nnplug
