#include "nnplug/framework/step_labels.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/trainer.hpp"  // label_values

namespace nnplug {

void check_step_labels(const Loss& loss, const Shape& output, const Dataset& data) {
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
  try {
    loss.check(Shape{classes}, 0);  // each step is a sample of the loss: its class weights, one per class
  } catch (const ShapeError& e) {
    throw ShapeError(fmt::format("{} (each of the {} steps scored as a sample of {} classes)", e.what(), steps, classes));
  }
  for (std::size_t i = 0; i < data.targets.size(); ++i) {
    const float label = data.targets[i];
    if (label < 0.0f || (label == std::floor(label) && label < static_cast<float>(classes))) continue;
    const auto sample = static_cast<std::int64_t>(i / static_cast<std::size_t>(steps));
    // A loss of values reads one target per step as a class: say how it would regress instead.
    const std::string values = loss.target_kind() == TargetKind::Values
                                   ? fmt::format("; {} takes one target per step as a class label, and regresses on {} targets per sample, one per "
                                                 "output", loss.type(), output.numel())
                                   : "";
    throw ShapeError(fmt::format("the label of step {} of sample {} (its row in the data, counted from 0) is {}, but the model scores {} classes: "
                                 "a label is a whole number below that, or negative for a step that is not scored{}",
                                 i % static_cast<std::size_t>(steps), data.row(sample), label, classes, values));
  }
}

ScoredRows scored_rows(const Loss& loss, const Model& model, const Dataset& data) {
  const Shape& output = model.output_shape();
  if (data.has_value_targets()) return scored_rows(loss, output, data.target_width);
  const bool steps = model.trained_on_step_labels() && output.rank() >= 2;
  return scored_rows(loss, output, steps ? output.numel() / output[output.rank() - 1] : 0);
}

std::vector<std::int64_t> labelled_steps(const Dataset& data) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(data.size()), 0);
  for (std::size_t i = 0; i < data.targets.size(); ++i) counts[i / static_cast<std::size_t>(data.target_width)] += step_label(data.targets[i]) >= 0;
  return counts;
}

std::vector<std::int32_t> step_labels(const Dataset& data, std::int64_t steps) {
  if (!data.has_value_targets()) return std::vector<std::int32_t>(static_cast<std::size_t>(data.size() * steps), -1);
  const std::int64_t per_step = data.target_width / steps;  // 1: a label; more: a distribution over that many classes
  if (per_step == 1) {
    std::vector<std::int32_t> labels(data.targets.size());
    std::transform(data.targets.begin(), data.targets.end(), labels.begin(), step_label);
    return labels;
  }
  std::vector<std::int32_t> labels(static_cast<std::size_t>(data.size() * steps));
  for (std::size_t i = 0; i < labels.size(); ++i)
    labels[i] = most_probable_class(data.targets.data() + i * static_cast<std::size_t>(per_step), per_step);
  return labels;
}

const Tensor& step_targets(const Loss& loss, const std::vector<std::int32_t>& host_labels, const Tensor& labels, std::int64_t classes, DType dtype,
                           Tensor& rows, const std::vector<float>* distributions) {
  if (loss.target_kind() == TargetKind::ClassIndex) return labels;
  ensure(rows, labels.backend(), Shape{static_cast<std::int64_t>(host_labels.size()), classes}, dtype);
  if (distributions) from_host(rows, *distributions);
  else from_host(rows, label_values(host_labels, classes));
  return rows;
}

const Tensor& score_step_rows(Backend& backend, Loss& loss, const Tensor& scores, const Tensor& rows, const Tensor& target, const Tensor& value,
                              const Tensor& dscores, Tensor& gathered, Tensor& dgathered) {
  if (!rows.defined()) {
    loss.compute(scores, target, value, dscores);
    return scores;
  }
  // The scored steps' rows gathered, scored, and their gradient put back in place (zero at the other steps).
  ensure(gathered, backend, Shape{rows.numel(), scores.dim(1)}, scores.dtype());
  backend.run(op::GatherRows{scores, rows, gathered});
  if (dscores.defined()) ensure(dgathered, backend, gathered.shape(), scores.dtype());
  loss.compute(gathered, target, value, dscores.defined() ? dgathered : Tensor());
  if (dscores.defined()) backend.run(op::ScatterAddRows{dgathered, rows, dscores});
  return gathered;
}

}  // namespace nnplug
