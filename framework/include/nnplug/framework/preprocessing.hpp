#pragma once
// Preprocessing fitted on the training set only and then applied, unchanged, to validation and test data:
// missing values filled, mean subtraction, standardisation (per feature, per channel of an image, or one scalar for
// all), PCA projection, PCA and ZCA whitening.
// Statistics use the population denominator N, as the chapters (and scikit-learn's StandardScaler) do.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

// Missing values (NaN: a CSV file's empty fields and pandas' NA words, read so where the data section names
// fill_missing) replaced per feature by a statistic of the training set's values that are there, as scikit-learn's
// SimpleImputer fills them: "mean", "median" (the mean of the middle two of an even count), "most_frequent" (the
// smallest of those most frequent) or "constant". A feature missing from every training sample is filled with 0,
// or the constant.
class MissingValueFiller {
 public:
  // Throws InvalidArgument for a strategy that is none of those.
  explicit MissingValueFiller(std::string strategy, double constant = 0);
  void fit(const Dataset& train);
  void apply(Dataset& data) const;
  const std::vector<double>& values() const { return values_; }  // each feature's fill
  const std::string& strategy() const { return strategy_; }
  // Each feature's count of missing values among the samples fit saw, for training's report; not saved.
  const std::vector<std::int64_t>& missing_in_fit() const { return missing_in_fit_; }
  nlohmann::json to_json() const;
  static MissingValueFiller from_json(const nlohmann::json& j);

 private:
  std::string strategy_;
  double constant_;
  std::vector<double> values_;
  std::vector<std::int64_t> missing_in_fit_;
};

class Standardizer {
 public:
  // scale false: mean subtraction only. per_feature false: one mean and one std over every value.
  Standardizer(bool scale, bool per_feature, double eps = 1e-8) : scale_(scale), per_feature_(per_feature), eps_(eps) {}
  // One mean and one std per channel of NCHW samples, each over its `channel_size` (H x W) values of every
  // sample, as torchvision's Normalize takes them.
  static Standardizer per_channel(std::int64_t channel_size, double eps = 1e-8);
  void fit(const Dataset& train);
  void apply(Dataset& data) const;
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& std() const { return std_; }
  // The fitted statistics, as a model file keeps them; from_json checks what it reads (InvalidArgument).
  nlohmann::json to_json() const;
  static Standardizer from_json(const nlohmann::json& j);

 private:
  friend class InputPreprocessing;
  // The group of statistics that a sample's feature belongs to, and how many groups `features` make.
  std::size_t group_of(std::size_t feature) const;
  std::size_t groups(std::size_t features) const;
  bool scale_, per_feature_;
  double eps_;
  std::int64_t channel_size_ = 0;  // per channel: the values of one channel of a sample; 0 otherwise
  std::vector<double> mean_, std_;
};

// PCA on the training set's covariance (after centring). whiten: "none" projects onto the top `components`
// directions; "pca" also divides each by sqrt(eigenvalue + eps); "zca" whitens all directions and rotates back
// (the result keeps the input's dimension and `components` is ignored).
class Pca {
 public:
  Pca(std::int64_t components, std::string whiten, double eps = 1e-5);
  void fit(const Dataset& train);
  void apply(Dataset& data) const;
  const std::vector<double>& eigenvalues() const { return eigenvalues_; }  // descending
  // The mean and the directions apply() uses (components of them, or all for zca); from_json checks them.
  nlohmann::json to_json() const;
  static Pca from_json(const nlohmann::json& j);

 private:
  friend class InputPreprocessing;
  std::int64_t components_;
  std::string whiten_;
  double eps_;
  std::int64_t dims_ = 0;
  std::vector<double> mean_, eigenvalues_, eigenvectors_;  // eigenvectors_: row k is the k-th direction
};

// The fitted steps a spec's data section names, in the order they ran, saved with the model: samples from outside
// the spec's data (a Network's arrays, a loaded model's inputs) go through them as the training data did.
class InputPreprocessing {
 public:
  void add(Standardizer step) { steps_.emplace_back(std::move(step)); }
  void add(Pca step) { steps_.emplace_back(std::move(step)); }
  void add(MissingValueFiller step) { steps_.emplace_back(std::move(step)); }
  bool empty() const { return steps_.empty(); }
  // The step that fills missing values (NaN), always the first; null where there is none.
  const MissingValueFiller* missing_value_filler() const { return steps_.empty() ? nullptr : std::get_if<MissingValueFiller>(&steps_.front()); }
  bool fills_missing() const { return missing_value_filler() != nullptr; }
  // The features a sample has before the steps, for a model that takes `features` values after them.
  std::int64_t features_in(std::int64_t features) const;
  void apply(Dataset& data) const;
  nlohmann::json to_json() const;  // an array of steps, each {"type": "fill_missing", "standardize" or "pca", ...}
  // Throws InvalidArgument naming the step and field that is not what to_json writes, or steps that do not chain
  // into the `features` values of a model's sample.
  static InputPreprocessing from_json(const nlohmann::json& j, std::int64_t features);

 private:
  using Step = std::variant<MissingValueFiller, Standardizer, Pca>;
  // The features a step takes and gives; 0 where it keeps any count (a scalar standardizer).
  static std::pair<std::int64_t, std::int64_t> features_of(const Step& step);
  std::vector<Step> steps_;
};

// Whether a spec's data section names preprocessing to fit.
bool names_preprocessing(const Params& data);

// The data section's fill_missing, not yet fitted (none where it is not given), and its standardize ("none" where
// it is not given): each throws naming the field where its value is none of those taken, so that a spec may be
// checked before its data is read.
std::optional<MissingValueFiller> missing_value_filler(const Params& data);
std::string standardize_of(const Params& data);

// Fits the preprocessing a spec's data section names (fill_missing: a strategy or a number; mean_subtraction,
// standardize: per_feature, per_channel or scalar; pca; each step on what the one before it made) on `train`, which it leaves preprocessed. The steps
// returned bring any other samples there. per_channel takes the channels from the samples' shape when it has them
// (C, H, W), else from the data section's sample_shape.
InputPreprocessing fit_input_preprocessing(const Params& data, Dataset& train);

// Class labels as one-hot rows (labels.size() x num_classes).
std::vector<float> one_hot(const std::vector<std::int32_t>& labels, std::int64_t num_classes);

}  // namespace nnplug
