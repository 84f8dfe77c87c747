#pragma once
// Experiment: everything a spec describes, built and ready to train: backend, model, loss, optimizer, data and
// fit options. Every part is created from the registry by the names the spec gives.
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/spec.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

struct Experiment;

// The plugin a command-line option such as --backend names: a plugin name ("cuda"), or a JSON object with the
// plugin's parameters ('{"type": "cuda", "step_graphs": false}'). Throws InvalidArgument naming the option when
// the object does not parse.
Params plugin_option(const std::string& option, const std::string& value);
inline Params backend_option(const std::string& value) { return plugin_option("--backend", value); }

// The communicator a run uses: --communicator (see plugin_option), else the spec's "communicator" section, else
// the usable one with the highest probe score ("mpi" when mpirun started the process, else "local").
std::shared_ptr<Communicator> create_communicator(const Spec& spec, const Registry& registry, const std::string& option);

// Command-line values that replace the spec's.
struct Overrides {
  std::string backend;  // see backend_option
  std::optional<int> epochs;
  std::optional<std::int64_t> batch_size;
  std::optional<std::int64_t> limit_train;
  const Experiment* data = nullptr;  // take the data of this experiment (same data section) instead of loading it
};

struct Experiment {
  std::shared_ptr<Backend> backend;
  std::string precision;  // "float32" or "bfloat16" (precision.hpp): the spec's, else the backend's own
  std::unique_ptr<Model> model;
  std::shared_ptr<Loss> loss;
  std::shared_ptr<Optimizer> optimizer;
  Dataset train, validation, test;
  std::vector<std::string> class_names;  // the data section's "class_names"; empty: classes are numbered
  InputPreprocessing preprocessing;      // fitted on the training set, applied to every set; the model keeps it
  TextVectorization text;                // text_folder: fitted on the training texts (load_data keeps one given); the model keeps it
  FitOptions fit;
  std::size_t bucket_bytes = Trainer::kDefaultBucketBytes;  // training.bucket_mb: the gradient buckets of data-parallel training
  Compression gradient_compression = Compression::None;      // training.gradient_compression: how they travel
};

// Loads the data the spec's "data" section names (see the README for its fields). A non-empty `inputs` names
// samples to predict, which take the place of the test set and get the preprocessing fitted on the training
// set: an IDX image file (raw or gzip) for "idx" data, else a CSV file whose rows hold the features with or
// without the label column. Unknown labels are -1. Preprocessing::Leave keeps the samples as read, for statistics
// fitted elsewhere: a saved model's own, or each cross-validation fold's.
enum class Preprocessing { Fit, Leave };
void load_data(const Spec& spec, Experiment& experiment, std::uint64_t seed, std::optional<std::int64_t> limit_train,
               const std::filesystem::path& inputs = {}, Preprocessing preprocessing = Preprocessing::Fit);
// Samples to predict from a file, read as load_data reads `inputs`, and brought to `model`'s input through the
// preprocessing it keeps (Model::input_preprocessing), without the training data. Empty when the spec names
// preprocessing that the model file predates: load_data then fits it again on the training data.
std::optional<Dataset> read_inputs(const Spec& spec, const Model& model, const std::filesystem::path& inputs);
// The data section's "standardize_targets" (default false): the standardization of `train`'s value targets that
// the model keeps for `loss` (TargetScaling), or none. Refused, naming the field, for class labels (also one per step
// of the model's per-sample `output`) and for a loss whose targets are labels in [0, 1].
TargetScaling fit_target_scaling(const Params& data, const Dataset& train, const Loss& loss, const Shape& output);
// The data section's "class_names" (empty: classes are numbered).
std::vector<std::string> read_class_names(const Params& data);
// The spec's classes by name, without reading its samples: the data section's "class_names", or an image folder's
// class folders; empty (numbered) where there are none, or where the image folder is no longer there.
std::vector<std::string> spec_class_names(const Spec& spec);
// The names of the data section's value targets: its "targets" columns (a header name; for one given by index, the
// name `header_names` (a CSV header's, ColumnNames::targets) gives it, or else target_K), "y" for the friedman1 set,
// or input_K for the K-th of the `width` values of a sample that is its own target (targets_are_inputs). Empty when
// the targets are class labels.
std::vector<std::string> read_target_names(const Params& data, std::int64_t width, const std::vector<std::string>& header_names = {});
// Appends the spec's "layers" to the model: each names a layer plugin, or an activation plugin used as a layer;
// a layer's "activation" field appends that activation after it.
void add_layers(const Spec& spec, const Registry& registry, Model& model);
// Makes every layer of the spec's "layers" and drops it: what add_layers would refuse (an unknown type, a parameter
// out of range, a bad graph) is refused before any sample shape is known.
void check_layers(const Spec& spec, const Registry& registry);
// The spec's layers on `backend`, built for per-sample `input` (shape errors name the spec file).
std::unique_ptr<Model> build_model(const Spec& spec, const Registry& registry, std::shared_ptr<Backend> backend, DType dtype,
                                   const Shape& input, std::uint64_t seed);
// How the spec trains: "training" (epochs, batch_size, shuffle, drop_last), "schedule", "gradient_transforms",
// "augmentation" (checked against sample_shape) and "callbacks" (for this optimizer). Every field is checked.
FitOptions fit_options_from_spec(const Spec& spec, const Registry& registry, const std::shared_ptr<Optimizer>& optimizer, const Shape& sample_shape);
// Warnings (without "warning: ") about a model that builds but likely not as meant: its last layer is the softmax or
// the sigmoid that the loss applies to its inputs itself (a loss of logits: softmax_cross_entropy,
// binary_cross_entropy), so the outputs pass through it twice, which flattens the probabilities and slows training,
// as Keras warns; or a layer of images reads a channels-last input that still fits it ([32, 32, 3] as 32 channels of
// 32x3 images, under padding "same"). Empty where there is none.
std::vector<std::string> model_warnings(const Model& model, const Loss& loss);
// The spec's data format ("csv", "npy", ...); "" where it names no data.
std::string data_format(const Spec& spec);
// Where the spec's data are arrays (format "npy"), their targets that a loss of class labels reads as labels
// (take_class_labels), as training and scoring read them alike; a CSV file's target columns stay values, by the
// spec's word. Null sets are passed over.
void take_array_class_labels(const Spec& spec, const Loss& loss, const Shape& output, std::initializer_list<Dataset*> sets);
// The spec's "initialize_from" (see the README) loaded into the model built from it; nothing without one.
void initialize_from_spec(const Spec& spec, Model& model);
Experiment build_experiment(const Spec& spec, const Registry& registry, const Overrides& overrides = {});

}  // namespace nnplug
