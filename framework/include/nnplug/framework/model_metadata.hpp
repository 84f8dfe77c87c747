#pragma once
// What a model file (or checkpoint) keeps in its safetensors metadata, read and checked for type and range before
// any of it is used: a value of the wrong type would otherwise surface as one of nlohmann's type errors, and a
// hostile one (JSON nested a million levels, a negative epoch) as a crash or a quiet misreading.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "nnplug/framework/preprocessing.hpp"
#include "nnplug/framework/target_scaling.hpp"
#include "nnplug/framework/text_vectorization.hpp"
#include "nnplug/params.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

struct PluginRecord {
  std::string kind, name;     // what the spec uses, e.g. layer "mish"
  std::string library, version;  // the plugin library that provided it
  unsigned abi = 0;
};

struct ModelMetadata {
  Params::Json spec;               // nnplug.spec: the spec that built the model (a JSON object)
  std::filesystem::path spec_path; // nnplug.spec_path: where that spec was read from, for its relative paths
  Shape input_shape;               // nnplug.input_shape: 1 to 8 sizes in [1, 2^30]
  std::vector<PluginRecord> plugins;  // nnplug.plugins
  std::map<std::size_t, std::vector<std::uint64_t>> counters;  // nnplug.counters: layer index -> its counters
  InputPreprocessing preprocessing;  // nnplug.preprocessing (optional): the fitted steps, in order
  TargetScaling target_scaling;      // nnplug.target_scaling (optional): the training targets' standardization
  TextVectorization text_vectorization;  // nnplug.text_vectorization (optional): the vocabulary of a text model
  std::vector<std::string> class_names;  // nnplug.class_names (optional): the classes' names, in label order
  bool step_labels = false;              // nnplug.step_labels (optional, "true"): Model::trained_on_step_labels
  bool value_targets = false;            // nnplug.value_targets (optional, "true"): Model::trained_on_values
  ColumnNames column_names;  // nnplug.columns (optional, {"features": [...], "label": name, "targets": [...], "classes": [...]})
};

// Throws IoError "FILE: not a model saved by nnplug (no KEY ...)" or "FILE: damaged metadata: KEY is VALUE;
// expected ...", where FILE is `file`.
ModelMetadata read_model_metadata(const std::map<std::string, std::string>& metadata, const std::string& file);

// What a checkpoint adds: the optimizer that wrote its state, its step count, the epochs completed, and the state of
// the run's callbacks (nnplug.callbacks, optional: [{"kind": ..., "values": ..., "weights": N}]; the weights are
// tensors "callbacks.<entry>.<n>", which the caller reads).
struct CheckpointMetadata {
  std::string optimizer;
  std::int64_t optimizer_steps = 0;
  int epoch = 0;
  struct Callback {
    std::string kind;
    Params::Json values;
    std::size_t weights = 0;
  };
  std::vector<Callback> callbacks;
};
CheckpointMetadata read_checkpoint_metadata(const std::map<std::string, std::string>& metadata, const std::string& file);

}  // namespace nnplug
