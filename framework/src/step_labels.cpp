#include "nnplug/framework/step_labels.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

void check_step_labels(const Shape& output, const Dataset& data) {
  const std::int64_t classes = output[output.rank() - 1], steps = output.numel() / classes;
  if (classes < 2)
    throw ShapeError(fmt::format("the model outputs {} per sample: a class label per step needs scores of 2 or more classes on its last axis",
                                 output.str()));
  if (!data.has_value_targets())
    throw ShapeError(fmt::format("the model outputs {} per sample, scores of {} classes at each of {} steps, so the data needs a label per step "
                                 "((N, {}) whole numbers, data.targets), not one class label per sample; a classifier of whole samples "
                                 "outputs one axis of scores (flatten or pool the steps first)",
                                 output.str(), classes, steps, steps));
  if (data.target_width != steps)
    throw ShapeError(fmt::format("the model outputs {} per sample, scores of {} classes at each of {} steps, but the data has {} target value{} "
                                 "per sample; give one label per step (classes on the output's last axis: permute a [classes, steps] output)",
                                 output.str(), classes, steps, data.target_width, data.target_width == 1 ? "" : "s"));
  for (std::size_t i = 0; i < data.targets.size(); ++i) {
    const float label = data.targets[i];
    if (label < 0.0f || (label == std::floor(label) && label < static_cast<float>(classes))) continue;
    const auto sample = static_cast<std::int64_t>(i / static_cast<std::size_t>(steps));
    throw ShapeError(fmt::format("the label of step {} of sample {} (its row in the data, counted from 0) is {}, but the model scores {} classes: "
                                 "a label is a whole number below that, or negative for a step that is not scored",
                                 i % static_cast<std::size_t>(steps), data.row(sample), label, classes));
  }
}

std::vector<std::int64_t> labelled_steps(const Dataset& data) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(data.size()), 0);
  for (std::size_t i = 0; i < data.targets.size(); ++i) counts[i / static_cast<std::size_t>(data.target_width)] += step_label(data.targets[i]) >= 0;
  return counts;
}

std::vector<std::int32_t> step_labels(const Dataset& data, std::int64_t steps) {
  if (!data.has_value_targets()) return std::vector<std::int32_t>(static_cast<std::size_t>(data.size() * steps), -1);
  std::vector<std::int32_t> labels(data.targets.size());
  std::transform(data.targets.begin(), data.targets.end(), labels.begin(), step_label);
  return labels;
}

const Tensor& score_step_rows(Backend& backend, Loss& loss, const Tensor& scores, const Tensor& rows, const Tensor& labels, const Tensor& value,
                              const Tensor& dscores, Tensor& gathered, Tensor& dgathered) {
  if (!rows.defined()) {
    loss.compute(scores, labels, value, dscores);
    return scores;
  }
  // The scored steps' rows gathered, scored, and their gradient put back in place (zero at the other steps).
  ensure(gathered, backend, Shape{rows.numel(), scores.dim(1)}, scores.dtype());
  backend.run(op::GatherRows{scores, rows, gathered});
  if (dscores.defined()) ensure(dgathered, backend, gathered.shape(), scores.dtype());
  loss.compute(gathered, labels, value, dscores.defined() ? dgathered : Tensor());
  if (dscores.defined()) backend.run(op::ScatterAddRows{dgathered, rows, dscores});
  return gathered;
}

}  // namespace nnplug
