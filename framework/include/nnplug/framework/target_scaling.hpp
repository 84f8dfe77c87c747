#pragma once
// Standardized regression targets (the data section's "standardize_targets"), as scikit-learn's
// TransformedTargetRegressor with a StandardScaler does it: each target column's mean and standard deviation over
// the training set. The loss sees (t - mean) / std, so that prices in the hundreds of thousands train with the
// learning rates that suit targets near 1; predictions, the mean absolute error and evaluate's scores are brought
// back to the targets' own units. The model keeps the statistics and its file saves them.
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnplug {

class TargetScaling {
 public:
  TargetScaling() = default;  // none: values pass unchanged
  // Fitted on rows of `width` targets (population std, as StandardScaler); a column that does not vary keeps a
  // scale of 1, as StandardScaler keeps it.
  static TargetScaling fit(const std::vector<float>& targets, std::int64_t width);
  bool empty() const { return mean_.empty(); }
  std::size_t width() const { return mean_.size(); }
  // Rows of width() values, in place: targets to the scale the loss sees, or outputs from it to the targets' units.
  void standardize(std::span<float> rows) const;
  void restore(std::span<float> rows) const;
  // What a difference of standardized values in `column` is worth in the targets' units: its std.
  double scale(std::size_t column) const { return std_[column]; }
  const std::vector<double>& mean() const { return mean_; }
  nlohmann::json to_json() const;  // {"mean": [...], "std": [...]}
  // Checks what it reads (InvalidArgument naming the field): finite means, as many positive finite stds.
  static TargetScaling from_json(const nlohmann::json& j);

 private:
  std::vector<double> mean_, std_;
};

}  // namespace nnplug
