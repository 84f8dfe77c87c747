#include "nnplug/framework/loss_weighting.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/step_labels.hpp"

namespace nnplug {
namespace {

void check_weights(const std::vector<double>& weights, const std::string& owner, const char* setting, const char* what) {
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (!(weights[i] >= 0.0) || !std::isfinite(weights[i]))
      throw InvalidArgument(fmt::format("{}: {} gives {} {} the weight {}; weights are finite and >= 0", owner, setting, what, i, weights[i]));
}

// The class of each sample, as Keras's class_weight reads y.
std::vector<std::int64_t> sample_classes(const LossWeighting& weighting, const Dataset& train, const Loss& loss, const Shape& output) {
  if (scores_steps(loss, output, train.target_width))
    throw InvalidArgument(fmt::format("{}: class_weight weighs a sample by its class, but the targets are {} per step; weigh samples with "
                                      "sample_weight", weighting.owner,
                                      labels_per_step(loss, output, train.target_width) ? "class labels" : "distributions"));
  std::vector<std::int64_t> classes(static_cast<std::size_t>(train.size()));
  if (!train.has_value_targets()) {
    std::copy(train.labels.begin(), train.labels.end(), classes.begin());
    return classes;
  }
  const auto width = static_cast<std::size_t>(train.target_width);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto row = train.targets.begin() + static_cast<std::ptrdiff_t>(i * width);
    if (width > 1) {
      classes[i] = std::max_element(row, row + static_cast<std::ptrdiff_t>(width)) - row;
      continue;
    }
    const float value = *row;
    if (!(value >= 0.0f) || value != std::floor(value) || value > 1e9f)
      throw InvalidArgument(fmt::format("{}: class_weight weighs a sample by its class, but the target of sample {} is {}, not a class "
                                        "index; for a regression give sample_weight",
                                        weighting.owner, train.row(static_cast<std::int64_t>(i)), value));
    classes[i] = static_cast<std::int64_t>(value);
  }
  return classes;
}

// scikit-learn's "balanced": n / (classes present * count of the class), counted by class so that a label of 10^9
// costs no more than one of 1.
std::map<std::int64_t, double> balanced_class_weights(const std::vector<std::int64_t>& classes) {
  std::map<std::int64_t, double> weights;
  for (const std::int64_t c : classes) weights[c] += 1.0;
  const auto present = static_cast<double>(weights.size());
  for (auto& [c, count] : weights) count = static_cast<double>(classes.size()) / (present * count);
  return weights;
}

}  // namespace

LossWeighting class_weighting(const Params& p, const std::string& key) {
  LossWeighting weighting;
  weighting.owner = p.owner();
  const Params::Json& value = p.json()[key];
  if (value.is_string()) {
    if (p.string(key, "") != "balanced")
      p.fail(key, fmt::format("must be \"balanced\", a list or an object of class weights, got {}", Params::shown(value)));
    weighting.balanced = true;
    return weighting;
  }
  if (!value.is_object()) {
    weighting.class_weights = p.numbers(key, {}, 0, 0.0);  // refuses anything else, naming the field
  } else {
    p.accept({key.c_str()});
    weighting.class_weights.assign(value.size(), 0.0);
    std::vector<bool> named(value.size(), false);
    for (const auto& [name, weight] : value.items()) {
      std::size_t index = 0;
      const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), index);
      if (error != std::errc() || end != name.data() + name.size() || index >= value.size() || named[index])
        p.fail(key, fmt::format("must name each class from 0 to {} once, as Keras's class_weight; it names {}", value.size() - 1,
                                Params::shown(name)));
      if (!weight.is_number() || weight.get<double>() < 0.0)
        p.fail(key, fmt::format("must give weights >= 0, got {} for class {}", Params::shown(weight), name));
      named[index] = true;
      weighting.class_weights[index] = weight.get<double>();
    }
  }
  if (weighting.class_weights.empty()) p.fail(key, "gives no class weight");
  return weighting;
}

std::vector<double> sample_loss_weights(const LossWeighting& weighting, const Dataset& train, const Loss& loss, const Shape& output) {
  if (weighting.empty()) return {};
  check_weights(weighting.sample_weights, weighting.owner, "sample_weight", "sample");
  check_weights(weighting.class_weights, weighting.owner, "class_weight", "class");
  if (!weighting.sample_weights.empty() && static_cast<std::int64_t>(weighting.sample_weights.size()) != train.size())
    throw InvalidArgument(fmt::format("{}: sample_weight holds {} weights for {} training samples; give one per sample", weighting.owner,
                                      weighting.sample_weights.size(), train.size()));
  std::vector<double> weights = weighting.sample_weights;
  if (weights.empty()) weights.assign(static_cast<std::size_t>(train.size()), 1.0);
  if (weighting.class_weights.empty() && !weighting.balanced) return weights;
  const std::vector<std::int64_t> classes = sample_classes(weighting, train, loss, output);
  if (weighting.balanced) {
    const std::map<std::int64_t, double> balanced = balanced_class_weights(classes);
    for (std::size_t i = 0; i < classes.size(); ++i) weights[i] *= balanced.at(classes[i]);
    return weights;
  }
  const std::vector<double>& class_weights = weighting.class_weights;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] >= static_cast<std::int64_t>(class_weights.size()))
      throw InvalidArgument(fmt::format("{}: class_weight weighs classes 0 to {}, but sample {} is of class {}; give a weight to every class",
                                        weighting.owner, class_weights.size() - 1, train.row(static_cast<std::int64_t>(i)), classes[i]));
    weights[i] *= class_weights[static_cast<std::size_t>(classes[i])];
  }
  return weights;
}

void refuse_weighing_classes_twice(const LossWeighting& weighting, const nlohmann::json& loss) {
  if (weighting.class_weights.empty() && !weighting.balanced) return;
  for (const char* own : {"class_weights", "pos_weight"})
    if (loss.is_object() && loss.contains(own))
      throw InvalidArgument(fmt::format("{}: class_weight weighs the classes, and loss {} weighs them too by its {}, so each sample would be "
                                        "weighed twice; give one of them (class_weight weighs training alone, as Keras's does; the loss's "
                                        "weighs validation too, as PyTorch's weight= does)",
                                        weighting.owner, loss.value("type", ""), own));
}

}  // namespace nnplug
