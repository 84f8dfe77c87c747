#pragma once
// Epochs drawn by class weights, as PyTorch's WeightedRandomSampler is used for imbalanced classes: each training
// sample weighs its class's weight, and an epoch is `samples` draws from the set by those weights, with replacement
// (the rare classes' samples come several times an epoch, the common ones' not all) or without. "balanced" weighs
// each class by one over its count in the training set (scikit-learn's compute_sample_weight("balanced") up to a
// factor), so that every class is drawn about as often.
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"

namespace nnplug {

// The spec's "training": {"sampler": {"weights": "balanced", "num_samples": 60000, "replacement": true}}.
struct ClassSampling {
  std::string owner;                  // "spec.json: training sampler", for messages
  std::vector<double> class_weights;  // one per class, >= 0; empty: "balanced"
  std::int64_t samples = 0;           // an epoch's; 0: the training set's size
  bool replacement = true;
};

class ClassSampler {
 public:
  // Throws InvalidArgument where the data has no class labels, the weights are not one per class, or no sample (or,
  // without replacement, fewer than `samples`) has a weight above 0.
  ClassSampler(const ClassSampling& settings, const Dataset& train, std::uint64_t seed);
  std::int64_t samples() const { return samples_; }
  // The indices of epoch `epoch`'s samples (1-based), in the order they train: the same on every rank and in a
  // resumed run, whatever epochs came before.
  std::vector<std::int64_t> order(int epoch) const;

 private:
  std::vector<double> weights_;     // each sample's
  std::vector<double> cumulative_;  // the running sums of weights_
  std::int64_t samples_;
  bool replacement_;
  std::uint64_t seed_;
};

}  // namespace nnplug
