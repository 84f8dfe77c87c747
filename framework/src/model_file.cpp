#include "nnplug/framework/model_file.hpp"

#include <charconv>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "nnplug/framework/user_json.hpp"
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

std::string parameter_key(std::size_t layer, const Parameter& p) { return std::to_string(layer) + "." + p.name; }

void load_tensor(const StoredTensor& t, const Tensor& into, const std::string& where) {
  if (!t.foreign_dtype.empty())
    throw IoError(where + "tensor '" + t.name + "' has dtype " + t.foreign_dtype + ", which nnplug cannot load into a parameter");
  if (!(t.shape == into.shape()))
    throw IoError(where + "tensor '" + t.name + "' has shape " + t.shape.str() + ", the model's has " + into.shape().str());
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
void load_parameters(const SafetensorsFile& file, Model& model, const std::string& where, std::size_t extra) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string key = parameter_key(i, *p);
      const StoredTensor* t = file.find(key);
      if (!t) throw IoError(where + "tensor '" + key + "' is missing");
      load_tensor(*t, p->value, where);
      ++used;
    }
  if (used + extra != file.tensors.size())
    throw IoError(where + "holds " + std::to_string(file.tensors.size() - extra) + " model tensors, the model has " + std::to_string(used) + " parameters");
  const auto found = file.metadata.find("nnplug.counters");
  try {
    const Json counters = found == file.metadata.end() ? Json::object() : Json::parse(found->second);
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto c = counters.find(std::to_string(i));
      if (c != counters.end()) model.layer(i).set_counters(c->get<std::vector<std::uint64_t>>());
    }
  } catch (const Json::exception& e) {
    throw IoError(where + "damaged layer counters: " + e.what());
  }
}

}  // namespace

std::vector<PluginRecord> plugins_named_by(const Spec& spec, const Registry& registry) {
  std::set<std::string> names;
  collect_strings(spec.json, names);
  std::vector<PluginRecord> out;
  for (const auto& e : registry.entries())
    if (names.count(e.name))
      out.push_back({kind_name(e.kind), e.name, e.library->name(), e.library->version(), NNPLUG_ABI_VERSION});
  return out;
}

void save_model(const std::filesystem::path& path, const Spec& spec, const Model& model, const Registry& registry,
                const TrainingState* training) {
  SafetensorsFile file;
  Json plugins = Json::array();
  for (const auto& r : plugins_named_by(spec, registry))
    plugins.push_back({{"kind", r.kind}, {"name", r.name}, {"library", r.library}, {"version", r.version}, {"abi", r.abi}});
  file.metadata = {{"format", "pt"},
                   {"nnplug.spec", spec.json.dump()},
                   {"nnplug.spec_path", std::filesystem::absolute(spec.path).string()},
                   {"nnplug.input_shape", Json(std::vector<std::int64_t>(model.input_shape().begin(), model.input_shape().end())).dump()},
                   {"nnplug.plugins", plugins.dump()}};
  auto store = [&file](const std::string& name, const Tensor& value) {
    StoredTensor t{name, value.dtype(), value.shape(), std::vector<unsigned char>(value.bytes())};
    value.backend().download(t.bytes.data(), value, t.bytes.size());
    file.tensors.push_back(std::move(t));
  };
  Json counters = Json::object();
  for (std::size_t i = 0; i < model.size(); ++i) {
    for (Parameter* p : model.layer(i).parameters()) store(parameter_key(i, *p), p->value);
    if (const auto c = model.layer(i).counters(); !c.empty()) counters[std::to_string(i)] = c;
  }
  file.metadata["nnplug.counters"] = counters.dump();
  if (training) {
    for (const auto& [name, value] : training->optimizer->state()) store("optimizer." + name, value);
    file.metadata["nnplug.optimizer"] = training->optimizer->type();
    file.metadata["nnplug.optimizer_steps"] = std::to_string(training->optimizer->step_count());
    file.metadata["nnplug.epoch"] = std::to_string(training->epoch);
  }
  write_safetensors(path, file);
}

LoadedModel load_model(const std::filesystem::path& path, const Registry& registry, std::shared_ptr<Backend> backend) {
  const std::string where = path.string() + ": ";
  SafetensorsFile file = read_safetensors(path);
  for (const char* key : {"nnplug.spec", "nnplug.input_shape", "nnplug.plugins"})
    if (!file.metadata.count(key)) throw IoError(where + "not a model saved by nnplug (no " + key + " in the metadata)");
  LoadedModel out;
  Json plugins, input;
  try {
    out.spec = Spec{file.metadata["nnplug.spec_path"], parse_user_json(file.metadata["nnplug.spec"], where + "nnplug.spec")};
    plugins = parse_user_json(file.metadata["nnplug.plugins"], where + "nnplug.plugins");
    input = parse_user_json(file.metadata["nnplug.input_shape"], where + "nnplug.input_shape");
  } catch (const InvalidArgument& e) {  // a repeated key or nesting past the limit
    throw IoError(std::string("damaged metadata: ") + e.what());
  } catch (const Json::exception& e) {
    throw IoError(where + "damaged metadata: " + e.what());
  }
  // What the metadata holds is checked for type and range before it is used (a wrong type would surface as one of
  // nlohmann's type errors, not as this file's damage).
  const auto damaged = [&](const char* key, const Json& value, const char* expected) {
    return IoError(where + "damaged metadata: " + key + " is " + Params::shown(value) + "; expected " + expected);
  };
  if (!plugins.is_array()) throw damaged("nnplug.plugins", plugins, "a list of plugin records");
  for (const auto& p : plugins)
    if (!p.is_object() || !p.value("kind", Json()).is_string() || !p.value("name", Json()).is_string() ||
        !p.value("library", Json()).is_string() || !p.value("version", Json()).is_string() || !p.value("abi", Json()).is_number_unsigned())
      throw damaged("nnplug.plugins", p, "a record of kind, name, library, version (strings) and abi (a whole number)");
  if (!input.is_array() || input.empty() || input.size() > 8) throw damaged("nnplug.input_shape", input, "a list of 1 to 8 sizes");
  for (const auto& d : input)
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() < 1 || d.get<std::uint64_t>() > (1u << 30))
      throw damaged("nnplug.input_shape", input, "sizes that are whole numbers in [1, 2^30]");
  // Every plugin the model was built from must be here, and not older than the one that saved it.
  std::map<std::string, const RegisteredName*> loaded;
  const auto entries = registry.entries();
  for (const auto& e : entries) loaded[std::string(kind_name(e.kind)) + ":" + e.name] = &e;
  for (const auto& p : plugins) {
    const PluginRecord r{p.value("kind", ""), p.value("name", ""), p.value("library", ""), p.value("version", ""), p.value("abi", 0u)};
    out.plugins.push_back(r);
    // What only training uses need not be here to evaluate or predict (a checkpoint's resume creates its optimizer
    // from the registry itself, and says so when it is missing).
    if (r.kind == "optimizer" || r.kind == "schedule" || r.kind == "gradient_transform" || r.kind == "communicator") continue;
    const auto it = loaded.find(r.kind + ":" + r.name);
    if (it == loaded.end())
      throw PluginError(where + "the model needs " + r.kind + " '" + r.name + "' from plugin " + r.library + "@" + r.version +
                        " (ABI " + std::to_string(r.abi) + "), which is not loaded: add its folder with --plugin-path or NNPLUG_PLUGIN_PATH");
    const Library& lib = *it->second->library;
    if (older(lib.version(), r.version))
      throw PluginError(where + "the model needs " + r.kind + " '" + r.name + "' from plugin " + r.library + " " + r.version +
                        " or newer; the one loaded is " + lib.name() + "@" + lib.version() + " (" + lib.path().string() + ")");
  }
  Params top(out.spec.path.string(), out.spec.json);
  if (!backend) backend = registry.create_backend(out.spec.section("backend", registry.best_backend()));
  Shape shape;
  for (const auto& d : input) shape.push_back(d.get<std::int64_t>());
  out.model = build_model(out.spec, registry, backend, dtype_from_name(top.string("dtype", "float32")), shape, 0);
  std::size_t optimizer_tensors = 0;  // a checkpoint also holds the optimizer's state
  for (const auto& t : file.tensors) optimizer_tensors += t.name.starts_with("optimizer.");
  load_parameters(file, *out.model, where, optimizer_tensors);
  return out;
}

namespace {

// A count in a checkpoint's metadata: the whole text a whole number in [0, max], else the file is damaged.
std::int64_t metadata_count(const std::string& where, const char* key, const std::string& text, std::int64_t max) {
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max)
    throw IoError(fmt::format("{}damaged metadata: {} is \"{}\", not a whole number in [0, {}]", where, key,
                              text.size() > 40 ? text.substr(0, 40) + "..." : text, max));
  return value;
}

}  // namespace

int restore_checkpoint(const std::filesystem::path& path, const Spec& spec, Model& model, Optimizer& optimizer) {
  const std::string where = path.string() + ": ";
  const SafetensorsFile file = read_safetensors(path);
  const auto meta = [&](const char* key) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) throw IoError(where + "not a checkpoint (no " + key + " in the metadata; write checkpoints with the checkpoint callback)");
    return it->second;
  };
  Json saved;
  try {
    saved = Json::parse(meta("nnplug.spec"));
  } catch (const Json::exception& e) {
    throw IoError(where + "damaged metadata: " + e.what());
  }
  if (saved.value("layers", Json()) != spec.json.value("layers", Json()))
    throw IoError(where + "was written for other layers than " + spec.path.string() + " has");
  if (meta("nnplug.optimizer") != optimizer.type())
    throw IoError(where + "holds the state of optimizer " + meta("nnplug.optimizer") + ", " + spec.path.string() + " uses " + optimizer.type());
  const auto state = optimizer.state();
  try {
    load_parameters(file, model, where, state.size());
    for (const auto& [name, value] : state) {
      const StoredTensor* t = file.find("optimizer." + name);
      if (!t) throw IoError(where + "optimizer state 'optimizer." + name + "' is missing");
      load_tensor(*t, value, where);
    }
    optimizer.set_step_count(metadata_count(where, "nnplug.optimizer_steps", meta("nnplug.optimizer_steps"), std::int64_t{1} << 62));
    return static_cast<int>(metadata_count(where, "nnplug.epoch", meta("nnplug.epoch"), 1000000));
  } catch (const std::logic_error& e) {  // a number or counter list that does not parse
    throw IoError(where + "damaged metadata: " + e.what());
  }
}

std::size_t import_weights(const WeightImport& import, Model& model) {
  const std::string where = import.path.string() + ": ";
  const SafetensorsFile file = read_safetensors(import.path);
  std::size_t loaded = 0;
  std::string missing;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string key = parameter_key(i, *p);
      const auto renamed = import.names.find(key);
      const std::string name = renamed == import.names.end() ? key : renamed->second;
      const StoredTensor* t = file.find(name);
      if (!t) {
        missing += (missing.empty() ? "'" : ", '") + name + "'" + (name == key ? "" : " (for " + key + ")");
        continue;
      }
      try {
        load_tensor(*t, p->value, where);
      } catch (const IoError& e) {
        throw IoError(std::string(e.what()) + " (" + model.label(i) + " " + p->name + ")");
      }
      ++loaded;
    }
  if (import.strict && !missing.empty())
    throw IoError(where + "no tensor " + missing + "; name them with \"names\" ({\"<layer index>.<parameter>\": \"<name in the file>\"}) or set "
                  "\"strict\": false to keep the initializers' values for them");
  return loaded;
}

}  // namespace nnplug
