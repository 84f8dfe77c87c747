#include "nnplug/framework/model_file.hpp"

#include <cstring>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/finite_in_dtype.hpp"
#include "nnplug/framework/graph_spec.hpp"
#include "nnplug/framework/json_difference.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/precision.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "nnplug/plugin.hpp"

namespace nnplug {

namespace {

using Json = Params::Json;

void collect_strings(const Json& j, std::set<std::string>& out) {
  if (j.is_string()) out.insert(j.get<std::string>());
  else if (j.is_structured())
    for (const auto& v : j) collect_strings(v, out);
}

// "1.10.2" > "1.9": compares dotted numbers; a part that is not a number compares as 0.
bool older(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  for (;;) {
    std::string p, q;
    const bool more_x = static_cast<bool>(std::getline(x, p, '.')), more_y = static_cast<bool>(std::getline(y, q, '.'));
    if (!more_x && !more_y) return false;
    const long u = more_x ? std::strtol(p.c_str(), nullptr, 10) : 0, v = more_y ? std::strtol(q.c_str(), nullptr, 10) : 0;
    if (u != v) return u < v;
  }
}

// Refuses a stored value that is NaN, infinite, or past what `dtype` holds (a float64 file's 1e300 for a float32
// parameter). Training never saves one, so it comes from a damaged or doctored file, and every output would be NaN.
void refuse_non_finite(const StoredTensor& t, DType dtype, const std::string& where) {
  const auto scan = [&](auto stored) {
    using S = decltype(stored);
    const std::size_t count = t.bytes.size() / sizeof(S);
    for (std::size_t i = 0; i < count; ++i) {
      S v;
      std::memcpy(&v, t.bytes.data() + i * sizeof(S), sizeof(S));
      if (!finite_in(static_cast<double>(v), dtype))
        throw IoError(fmt::format("{}tensor '{}' holds {} (value {} of {}), which is not a finite {} value: the file is damaged", where, t.name,
                                  v, i, count, dtype_name(dtype)));
    }
  };
  if (t.dtype == DType::Float32) scan(float{});
  else if (t.dtype == DType::Float64) scan(double{});
}

void load_tensor(const StoredTensor& t, const Tensor& into, const std::string& where) {
  if (!t.foreign_dtype.empty())
    throw IoError(fmt::format("{}tensor '{}' has dtype {}, which nnplug cannot load into a parameter", where, t.name, t.foreign_dtype));
  if (!(t.shape == into.shape()))
    throw IoError(fmt::format("{}tensor '{}' has shape {}, the model's has {}", where, t.name, t.shape.str(), into.shape().str()));
  refuse_non_finite(t, into.dtype(), where);
  if (t.dtype == into.dtype()) {
    into.backend().upload(into, t.bytes.data(), t.bytes.size());
    return;
  }
  Tensor staged = into.backend().empty(t.shape, t.dtype);
  staged.backend().upload(staged, t.bytes.data(), t.bytes.size());
  from_host(into, to_host<double>(staged));
}

// Every parameter and layer counter of `model` from `file`, which must hold exactly those tensors besides
// `extra` others (the optimizer's).
void load_parameters(const SafetensorsFile& file, const ModelMetadata& metadata, Model& model, const std::string& where, std::size_t extra) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string key = model.parameter_name(i, *p);
      const StoredTensor* t = file.find(key);
      if (!t) throw IoError(fmt::format("{}tensor '{}' is missing", where, key));
      load_tensor(*t, p->value, where);
      ++used;
    }
  if (used + extra != file.tensors.size())
    throw IoError(fmt::format("{}holds {} model tensors, the model has {} parameters", where, file.tensors.size() - extra, used));
  for (const auto& [layer, values] : metadata.counters) {
    if (layer >= model.size())
      throw IoError(fmt::format("{}damaged metadata: nnplug.counters names layer {}, the model has {} layers", where, layer, model.size()));
    try {
      model.layer(layer).set_counters(values);
    } catch (const InvalidArgument& e) {
      throw IoError(fmt::format("{}damaged metadata: nnplug.counters of layer {}: {}", where, layer, e.what()));
    }
  }
}

// The callbacks' kept state, in order, into those of `callbacks` that keep state (see restore_checkpoint).
void restore_callbacks(const SafetensorsFile& file, const CheckpointMetadata& checkpoint, const std::string& where, Model& model,
                       const std::vector<std::shared_ptr<Callback>>& callbacks) {
  std::size_t next = 0;
  for (const auto& callback : callbacks) {
    const std::string kind = callback->state_kind();
    if (kind.empty()) continue;
    const std::size_t entry = next++;
    if (entry >= checkpoint.callbacks.size() || checkpoint.callbacks[entry].kind != kind) continue;
    CallbackState kept{kind, checkpoint.callbacks[entry].values, {}};
    for (std::size_t k = 0; k < checkpoint.callbacks[entry].weights; ++k) {
      const std::string name = fmt::format("callbacks.{}.{}", entry, k);
      const StoredTensor* t = file.find(name);
      if (!t || t->dtype != DType::Float64 || !t->foreign_dtype.empty() || t->shape.rank() != 1)
        throw IoError(fmt::format("{}the state of callback {} ({}) needs tensor '{}' of float64 values, which {}", where, entry, kind, name,
                                  t ? "has another dtype or shape" : "is missing"));
      kept.weights.emplace_back(static_cast<std::size_t>(t->shape[0]));
      std::memcpy(kept.weights.back().data(), t->bytes.data(), t->bytes.size());
    }
    const auto damaged = [&](const char* what) { return IoError(fmt::format("{}damaged metadata: nnplug.callbacks[{}] ({}): {}", where, entry, kind, what)); };
    try {
      callback->restore_state(kept, model);
    } catch (const InvalidArgument& e) {
      throw damaged(e.what());
    } catch (const Json::exception& e) {  // a value of the wrong type
      throw damaged(e.what());
    }
  }
}

// Where a relative path in the spec resolves from, for whoever loads the model from another folder.
std::filesystem::path absolute_or_as_is(const std::filesystem::path& path) {
  std::error_code ec;
  auto out = std::filesystem::absolute(path, ec);
  return ec ? path : out;
}

}  // namespace

std::vector<PluginRecord> plugins_named_by(const Spec& spec, const Registry& registry) {
  std::set<std::string> names;
  collect_strings(with_block_files_inlined(spec), names);  // the layers of block files too
  std::vector<PluginRecord> out;
  for (const auto& e : registry.entries())
    if (names.count(e.name))
      out.push_back({kind_name(e.kind), e.name, e.library->name(), e.library->version(), NNPLUG_ABI_VERSION});
  return out;
}

Json column_names_json(const ColumnNames& columns) {
  Json saved{{"features", columns.features}, {"label", columns.label}, {"targets", columns.targets}, {"classes", columns.classes}};
  if (!columns.categories.empty()) saved["categories"] = columns.categories;
  return saved;
}

void save_model(const std::filesystem::path& path, const Spec& spec, const Model& model, const Registry& registry,
                const TrainingState* training) {
  // The spec as saved, its block files read once; the file is loaded by building it, so it must describe this model.
  const Spec whole{spec.path, with_block_files_inlined(spec), spec.name};
  const SpecGraph graph = expand_layers(whole);
  if (graph.nodes.size() != model.size())
    throw InvalidArgument(fmt::format("{}: {} describes {} layers, the model has {}: it is not the model's spec", path.string(), spec.where(),
                                      graph.nodes.size(), model.size()));
  for (std::size_t i = 0; i < model.size(); ++i)
    if (graph.nodes[i].label != model.label(i) || graph.nodes[i].inputs != model.inputs(i))
      throw InvalidArgument(fmt::format("{}: {} has {} where the model has {}: it is not the model's spec", path.string(), spec.where(),
                                        graph.nodes[i].label, model.label(i)));
  SafetensorsFile file;
  Json plugins = Json::array();
  for (const auto& r : plugins_named_by(whole, registry))
    plugins.push_back({{"kind", r.kind}, {"name", r.name}, {"library", r.library}, {"version", r.version}, {"abi", r.abi}});
  file.metadata = {{"format", "pt"},
                   {"nnplug.spec", whole.json.dump()},
                   {"nnplug.spec_path", absolute_or_as_is(spec.path).string()},
                   {"nnplug.input_shape", Json(std::vector<std::int64_t>(model.input_shape().begin(), model.input_shape().end())).dump()},
                   {"nnplug.plugins", plugins.dump()}};
  auto store = [&file](const std::string& name, const Tensor& value) {
    StoredTensor t{name, value.dtype(), value.shape(), std::vector<unsigned char>(value.bytes())};
    value.backend().download(t.bytes.data(), value, t.bytes.size());
    file.tensors.push_back(std::move(t));
  };
  Json counters = Json::object();
  for (std::size_t i = 0; i < model.size(); ++i) {
    for (Parameter* p : model.layer(i).parameters()) store(model.parameter_name(i, *p), p->value);
    if (const auto c = model.layer(i).counters(); !c.empty()) counters[fmt::format("{}", i)] = c;
  }
  file.metadata["nnplug.counters"] = counters.dump();
  if (!model.input_preprocessing().empty()) file.metadata["nnplug.preprocessing"] = model.input_preprocessing().to_json().dump();
  if (!model.target_scaling().empty()) file.metadata["nnplug.target_scaling"] = model.target_scaling().to_json().dump();
  if (!model.text_vectorization().empty()) file.metadata["nnplug.text_vectorization"] = model.text_vectorization().to_json().dump();
  if (model.trained_on_step_labels()) file.metadata["nnplug.step_labels"] = "true";
  if (model.trained_on_values()) file.metadata["nnplug.value_targets"] = "true";
  if (const ColumnNames& columns = model.column_names(); !columns.empty()) file.metadata["nnplug.columns"] = column_names_json(columns).dump();
  // A folder's classes are its class folders' names: kept, so that the model names them far from its training data.
  const auto data = whole.json.find("data");
  if (data != whole.json.end() && data->is_object())
    if (const auto names = spec_class_names(whole); !names.empty()) file.metadata["nnplug.class_names"] = Json(names).dump();
  // A CSV file's labels by name, where the spec listed no class_names: the names the model numbered them by.
  if (!file.metadata.contains("nnplug.class_names") && !model.column_names().classes.empty())
    file.metadata["nnplug.class_names"] = Json(model.column_names().classes).dump();
  if (training) {
    for (const auto& [name, value] : training->optimizer->state()) store(fmt::format("optimizer.{}", name), value);
    file.metadata["nnplug.optimizer"] = training->optimizer->type();
    file.metadata["nnplug.optimizer_steps"] = fmt::format("{}", training->optimizer->step_count());
    file.metadata["nnplug.epoch"] = fmt::format("{}", training->epoch);
    Json kept = Json::array();
    for (std::size_t i = 0; i < training->callbacks.size(); ++i) {
      const CallbackState& c = training->callbacks[i];
      kept.push_back({{"kind", c.kind}, {"values", c.values}, {"weights", c.weights.size()}});
      for (std::size_t k = 0; k < c.weights.size(); ++k) {
        StoredTensor t{fmt::format("callbacks.{}.{}", i, k), DType::Float64, Shape{static_cast<std::int64_t>(c.weights[k].size())},
                       std::vector<unsigned char>(c.weights[k].size() * sizeof(double))};
        std::memcpy(t.bytes.data(), c.weights[k].data(), t.bytes.size());
        file.tensors.push_back(std::move(t));
      }
    }
    file.metadata["nnplug.callbacks"] = kept.dump();
  }
  write_safetensors(path, file);
}

LoadedModel load_model(const std::filesystem::path& path, const Registry& registry, std::shared_ptr<Backend> backend, std::string precision) {
  const std::string where = fmt::format("{}: ", path.string());
  SafetensorsFile file = read_safetensors(path);
  const ModelMetadata metadata = read_model_metadata(file.metadata, path.string());
  LoadedModel out;
  out.spec = Spec{metadata.spec_path, metadata.spec, fmt::format("{} (the spec saved in it)", path.string())};
  out.plugins = metadata.plugins;
  out.class_names = metadata.class_names;
  // Every plugin the model was built from must be here, and not older than the one that saved it.
  std::map<std::string, const RegisteredName*> loaded;
  const auto entries = registry.entries();
  for (const auto& e : entries) loaded[fmt::format("{}:{}", kind_name(e.kind), e.name)] = &e;
  for (const auto& r : metadata.plugins) {
    // What only training uses need not be here to evaluate or predict (a checkpoint's resume creates its optimizer
    // from the registry itself, and says so when it is missing).
    if (r.kind == "optimizer" || r.kind == "schedule" || r.kind == "gradient_transform" || r.kind == "communicator") continue;
    const auto it = loaded.find(fmt::format("{}:{}", r.kind, r.name));
    if (it == loaded.end())
      throw PluginError(fmt::format("{}the model needs {} '{}' from plugin {}@{} (ABI {}), which is not loaded: add its folder with "
                                    "--plugin-path or NNPLUG_PLUGIN_PATH", where, r.kind, r.name, r.library, r.version, r.abi));
    const Library& lib = *it->second->library;
    if (older(lib.version(), r.version))
      throw PluginError(fmt::format("{}the model needs {} '{}' from plugin {} {} or newer; the one loaded is {}@{} ({})", where, r.kind,
                                    r.name, r.library, r.version, lib.name(), lib.version(), lib.path().string()));
  }
  Params top(out.spec.where(), out.spec.json);
  if (!backend) {
    if (precision.empty()) precision = spec_precision(top);
    backend = create_backend_in_precision(registry, out.spec.section("backend", registry.best_backend()), precision);
  }
  out.model = build_model(out.spec, registry, backend, spec_dtype(top), metadata.input_shape, 0);
  out.model->set_input_preprocessing(metadata.preprocessing);
  if (!metadata.target_scaling.empty() && static_cast<std::int64_t>(metadata.target_scaling.width()) != out.model->output_shape().numel())
    throw IoError(fmt::format("{}damaged metadata: nnplug.target_scaling standardizes {} targets, the model outputs {} values per sample", where,
                              metadata.target_scaling.width(), out.model->output_shape().numel()));
  out.model->set_target_scaling(metadata.target_scaling);
  if (!metadata.text_vectorization.empty() && metadata.text_vectorization.sample_shape() != metadata.input_shape)
    throw IoError(fmt::format("{}damaged metadata: nnplug.text_vectorization makes samples of {}, the model takes {}", where,
                              metadata.text_vectorization.sample_shape().str(), metadata.input_shape.str()));
  out.model->set_text_vectorization(metadata.text_vectorization);
  out.model->set_trained_on_step_labels(metadata.step_labels);
  out.model->set_trained_on_values(metadata.value_targets);
  const auto raw_features = static_cast<std::size_t>(out.model->input_preprocessing().features_in(metadata.input_shape.numel()));
  if (const auto named = static_cast<std::size_t>(metadata.column_names.width()); named != 0 && named != raw_features)
    throw IoError(fmt::format("{}damaged metadata: nnplug.columns names {} features; the model takes {}", where, named, raw_features));
  out.model->set_column_names(metadata.column_names);
  std::size_t training_tensors = 0;  // a checkpoint also holds the optimizer's and the callbacks' state
  for (const auto& t : file.tensors) training_tensors += t.name.starts_with("optimizer.") || t.name.starts_with("callbacks.");
  load_parameters(file, metadata, *out.model, where, training_tensors);
  return out;
}

RestoredCheckpoint restore_checkpoint(const std::filesystem::path& path, const Spec& spec, Model& model, Optimizer& optimizer,
                                      const std::vector<std::shared_ptr<Callback>>& callbacks) {
  const std::string where = fmt::format("{}: ", path.string());
  const SafetensorsFile file = read_safetensors(path);
  const ModelMetadata metadata = read_model_metadata(file.metadata, path.string());
  const CheckpointMetadata checkpoint = read_checkpoint_metadata(file.metadata, path.string());
  const Json ours = with_block_files_inlined(spec);
  const auto model_of = [](const Json& s) { return Json{{"layers", s.value("layers", Json())}, {"blocks", s.value("blocks", Json())}}; };
  if (const std::string d = first_difference(model_of(metadata.spec), model_of(ours), "the checkpoint", spec.where()); !d.empty())
    throw IoError(fmt::format("{}was written for other layers than {} has ({})", where, spec.where(), d));
  if (checkpoint.optimizer != optimizer.type())
    throw IoError(fmt::format("{}holds the state of optimizer {}, {} uses {}", where, Params::shortened(checkpoint.optimizer), spec.where(),
                              optimizer.type()));
  const auto state = optimizer.state();
  std::size_t callback_tensors = 0;
  for (const auto& c : checkpoint.callbacks) callback_tensors += c.weights;
  load_parameters(file, metadata, model, where, state.size() + callback_tensors);
  for (const auto& [name, value] : state) {
    const StoredTensor* t = file.find(fmt::format("optimizer.{}", name));
    if (!t) throw IoError(fmt::format("{}optimizer state 'optimizer.{}' is missing", where, name));
    load_tensor(*t, value, where);
  }
  optimizer.set_step_count(checkpoint.optimizer_steps);
  restore_callbacks(file, checkpoint, where, model, callbacks);
  return {checkpoint.epoch, saved_precision(metadata.spec)};
}

std::size_t import_weights(const WeightImport& import, Model& model) {
  const std::string where = fmt::format("{}: ", import.path.string());
  const SafetensorsFile file = read_safetensors(import.path);
  std::size_t loaded = 0;
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string key = model.parameter_name(i, *p);
      const auto renamed = import.names.find(key);
      const std::string name = renamed == import.names.end() ? key : renamed->second;
      const StoredTensor* t = file.find(name);
      if (!t) {
        missing.push_back(name == key ? fmt::format("'{}'", name) : fmt::format("'{}' (for {})", name, key));
        continue;
      }
      try {
        load_tensor(*t, p->value, where);
      } catch (const IoError& e) {
        throw IoError(fmt::format("{} ({} {})", e.what(), model.label(i), p->name));
      }
      ++loaded;
    }
  if (import.strict && !missing.empty())
    throw IoError(fmt::format("{}no tensor {}; name them with \"names\" ({{\"<layer name or index>.<parameter>\": \"<name in the file>\"}}) or set "
                              "\"strict\": false to keep the initializers' values for them", where, fmt::join(missing, ", ")));
  return loaded;
}

}  // namespace nnplug
