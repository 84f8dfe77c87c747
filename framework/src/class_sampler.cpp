#include "nnplug/framework/class_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/errors.hpp"

namespace nnplug {

ClassSampler::ClassSampler(const ClassSampling& settings, const Dataset& train, std::uint64_t seed)
    : samples_(settings.samples > 0 ? settings.samples : train.size()), replacement_(settings.replacement), seed_(seed) {
  if (train.has_value_targets() || train.num_classes <= 0)
    throw InvalidArgument(fmt::format("{}: draws samples by their class, but the training data has no class labels (its targets are values)",
                                      settings.owner));
  const auto classes = static_cast<std::size_t>(train.num_classes);
  std::vector<double> class_weights = settings.class_weights;
  if (class_weights.empty()) {  // balanced
    std::vector<std::int64_t> counts(classes, 0);
    for (const std::int32_t label : train.labels) ++counts[static_cast<std::size_t>(label)];
    for (std::size_t c = 0; c < classes; ++c) class_weights.push_back(counts[c] > 0 ? 1.0 / static_cast<double>(counts[c]) : 0.0);
  } else if (class_weights.size() != classes) {
    throw InvalidArgument(fmt::format("{}: weights holds {} class weights, but the data has {} classes", settings.owner, class_weights.size(),
                                      classes));
  }
  for (const std::int32_t label : train.labels) weights_.push_back(class_weights[static_cast<std::size_t>(label)]);
  cumulative_.resize(weights_.size());
  std::partial_sum(weights_.begin(), weights_.end(), cumulative_.begin());
  const auto positive = std::count_if(weights_.begin(), weights_.end(), [](double w) { return w > 0.0; });
  if (positive == 0)
    throw InvalidArgument(fmt::format("{}: every training sample's class has weight 0, so none can be drawn", settings.owner));
  if (!replacement_ && samples_ > positive)
    throw InvalidArgument(fmt::format("{}: {} samples an epoch without replacement, but only {} training samples have a class weight above 0",
                                      settings.owner, samples_, positive));
}

std::vector<std::int64_t> ClassSampler::order(int epoch) const {
  std::mt19937_64 engine(counter_random::mix(seed_ ^ 0x73616d706c6572ULL, static_cast<std::uint64_t>(epoch)));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::int64_t> out(static_cast<std::size_t>(samples_));
  if (replacement_) {
    // The sample whose stretch of the running sums a uniform draw over the total lands in (none of weight 0 has one).
    const double total = cumulative_.back();
    for (auto& index : out) {
      const auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), uniform(engine) * total);
      index = std::min<std::int64_t>(at - cumulative_.begin(), static_cast<std::int64_t>(cumulative_.size()) - 1);
    }
    return out;
  }
  // Efraimidis and Spirakis: the samples with the largest log(u) / weight, in that order, are a draw without
  // replacement by weight.
  std::vector<std::pair<double, std::int64_t>> keys;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const double u = uniform(engine);
    if (weights_[i] > 0.0) keys.emplace_back(std::log(u) / weights_[i], static_cast<std::int64_t>(i));
  }
  std::partial_sort(keys.begin(), keys.begin() + samples_, keys.end(), std::greater<>());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = keys[k].second;
  return out;
}

}  // namespace nnplug
