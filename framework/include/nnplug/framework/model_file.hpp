#pragma once
// A trained model saved as one safetensors file: every layer's parameters (buffers such as batch norm's running
// statistics included) as tensors named by the layer's module path ("layer1.0.conv1.weight"; "<layer index>.<parameter>"
// for an unnamed one, see Model::parameter_name), and in the metadata the spec that built it (block files inlined),
// the per-sample input shape, and the plugins it came from (kind, name, library, version, ABI). Loading checks
// that every plugin is present and at least as new, rebuilds the model from the spec and loads the tensors.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/callbacks.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/model_metadata.hpp"
#include "nnplug/framework/spec.hpp"

namespace nnplug {

// Every registered plugin the spec names anywhere (layers, activations, initializers, regularizers, loss,
// optimizer, schedule, gradient transforms, backend).
std::vector<PluginRecord> plugins_named_by(const Spec& spec, const Registry& registry);

// A CSV file's columns as a model file keeps them (nnplug.columns): features, label, targets, classes, and the
// categories where there are some.
Params::Json column_names_json(const ColumnNames& columns);

// What a checkpoint adds to a saved model so that training resumes exactly where it stopped: the optimizer's
// state tensors (as "optimizer.<name>") and step count, the number of epochs completed, and what the run's
// callbacks keep (their weights as float64 tensors "callbacks.<entry>.<n>").
struct TrainingState {
  Optimizer* optimizer = nullptr;
  int epoch = 0;
  std::vector<CallbackState> callbacks;
};

// Throws IoError naming the file when it cannot be written (the old file, if any, is left as it was), and
// InvalidArgument when the spec describes other layers than the model has. Layer
// counters (dropout's mask counter) are always saved; `training` makes the file a checkpoint.
void save_model(const std::filesystem::path& path, const Spec& spec, const Model& model, const Registry& registry,
                const TrainingState* training = nullptr);

struct RestoredCheckpoint {
  int epoch = 0;          // epochs completed
  std::string precision;  // what the run that wrote it computed in (precision.hpp); a run may go on in another
};
// Puts a checkpoint's weights, layer counters and optimizer state into `model` (built from `spec`) and
// `optimizer` (attached to the model's parameters), and the callbacks' state it kept into `callbacks`: the n-th
// of them that keeps state takes the n-th state kept, when it is of the same kind (a callback added since starts
// afresh). Throws IoError when the checkpoint was written for other layers or another optimizer, is not a
// checkpoint, or holds a callback state that does not fit.
RestoredCheckpoint restore_checkpoint(const std::filesystem::path& path, const Spec& spec, Model& model, Optimizer& optimizer,
                                      const std::vector<std::shared_ptr<Callback>>& callbacks = {});

// Initial weights from a safetensors file written by another framework (PyTorch: a state_dict saved with
// safetensors.torch.save_file). Each parameter and buffer is looked up by its nnplug name (Model::parameter_name:
// PyTorch's module paths for named layers and blocks, nn.Sequential's "<layer index>.<name>" for a chain that lists
// activations as layers of their own), or by the
// name `names` maps it to. Shapes must match exactly; float32 and float64 convert to the model's dtype; tensors
// the model has no use for (num_batches_tracked) are ignored. Returns the number of tensors loaded; throws IoError
// naming the file, the tensor and the layer, and with `strict` every parameter the file lacks.
struct WeightImport {
  std::filesystem::path path;
  std::map<std::string, std::string> names;
  bool strict = true;
};
std::size_t import_weights(const WeightImport& import, Model& model);

struct LoadedModel {
  Spec spec;  // as saved, named in messages by the model file; relative data paths resolve against its own folder
  std::unique_ptr<Model> model;
  std::vector<PluginRecord> plugins;
  std::vector<std::string> class_names;  // as the spec's data named them when the model was saved; empty: numbered
};
// On `backend`, or when null the saved spec's backend in `precision` (empty: the saved spec's precision). Throws PluginError saying exactly which plugin (and which
// version) is needed when one is missing or older than the one that saved the model, and IoError for a file that
// is not a saved model or whose tensors do not fit the model.
LoadedModel load_model(const std::filesystem::path& path, const Registry& registry, std::shared_ptr<Backend> backend = nullptr,
                       std::string precision = "");

}  // namespace nnplug
