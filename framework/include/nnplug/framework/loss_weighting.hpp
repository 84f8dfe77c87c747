#pragma once
// Per-sample loss weights in training, as Keras's fit(sample_weight=..., class_weight=...): each sample's loss
// gradient is multiplied by its weight, so that a step descends the batch's mean of weight × loss (Keras's
// "sum_over_batch_size"). Validation and evaluation stay unweighted, as in Keras; so does the training loss that
// the history reports, which the plugin losses give only as a batch's mean.
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/loss.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

struct LossWeighting {
  std::vector<double> sample_weights;  // one per training sample, >= 0; empty: 1 each
  std::vector<double> class_weights;   // one per class, >= 0, times the sample's weight; empty: 1 each
  // Class weights n / (classes * count of the class), over the classes the training data holds (scikit-learn's
  // compute_class_weight("balanced")), in place of class_weights.
  bool balanced = false;
  std::string owner = "fit";  // where the settings are, for messages: "fit", "training"

  bool empty() const { return sample_weights.empty() && class_weights.empty() && !balanced; }
};

// Class weights as a spec or Python's fit gives `key`: a list of one weight per class, an object of weights by class
// index ({"0": 1, "1": 5}, Keras's dict, every class from 0 on), or "balanced". Throws InvalidArgument naming the
// field.
LossWeighting class_weighting(const Params& p, const std::string& key);

// Each sample's weight in `train` (empty where nothing is weighed), for a model of per-sample `output` scored by
// `loss`. A sample's class is its label; for value targets, the whole number of a one-value target, or the largest
// value of a row (one-hot rows, probabilities), as Keras reads y. Throws InvalidArgument, naming the setting and the
// sample, for a weight that is negative or not finite, a count of sample weights other than the samples', class
// weights for targets that are not classes (a regression, labels per step), or a class past the class weights.
std::vector<double> sample_loss_weights(const LossWeighting& weighting, const Dataset& train, const Loss& loss, const Shape& output);

// Throws InvalidArgument where `weighting` weighs classes and `loss` (the spec's loss: a name, or an object) weighs
// them too, by its class_weights or pos_weight: each sample's gradient would be weighed twice.
void refuse_weighing_classes_twice(const LossWeighting& weighting, const nlohmann::json& loss);

}  // namespace nnplug
