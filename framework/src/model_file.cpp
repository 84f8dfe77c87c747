#include "nnplug/framework/model_file.hpp"

#include <set>
#include <sstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/plugin_loader.hpp"
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

std::string parameter_key(std::size_t layer, const Parameter& p) { return std::to_string(layer) + "." + p.name; }

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

void save_model(const std::filesystem::path& path, const Spec& spec, const Model& model, const Registry& registry) {
  SafetensorsFile file;
  Json plugins = Json::array();
  for (const auto& r : plugins_named_by(spec, registry))
    plugins.push_back({{"kind", r.kind}, {"name", r.name}, {"library", r.library}, {"version", r.version}, {"abi", r.abi}});
  file.metadata = {{"format", "pt"},
                   {"nnplug.spec", spec.json.dump()},
                   {"nnplug.spec_path", std::filesystem::absolute(spec.path).string()},
                   {"nnplug.input_shape", Json(std::vector<std::int64_t>(model.input_shape().begin(), model.input_shape().end())).dump()},
                   {"nnplug.plugins", plugins.dump()}};
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      StoredTensor t{parameter_key(i, *p), p->value.dtype(), p->value.shape(), std::vector<unsigned char>(p->value.bytes())};
      p->value.backend().download(t.bytes.data(), p->value, t.bytes.size());
      file.tensors.push_back(std::move(t));
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
    out.spec = Spec{file.metadata["nnplug.spec_path"], Json::parse(file.metadata["nnplug.spec"])};
    plugins = Json::parse(file.metadata["nnplug.plugins"]);
    input = Json::parse(file.metadata["nnplug.input_shape"]);
  } catch (const Json::exception& e) {
    throw IoError(where + "damaged metadata: " + e.what());
  }
  // Every plugin the model was built from must be here, and not older than the one that saved it.
  std::map<std::string, const RegisteredName*> loaded;
  const auto entries = registry.entries();
  for (const auto& e : entries) loaded[std::string(kind_name(e.kind)) + ":" + e.name] = &e;
  for (const auto& p : plugins) {
    const PluginRecord r{p.value("kind", ""), p.value("name", ""), p.value("library", ""), p.value("version", ""), p.value("abi", 0u)};
    out.plugins.push_back(r);
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
  std::size_t used = 0;
  for (std::size_t i = 0; i < out.model->size(); ++i)
    for (Parameter* p : out.model->layer(i).parameters()) {
      const std::string key = parameter_key(i, *p);
      const StoredTensor* t = file.find(key);
      if (!t) throw IoError(where + "tensor '" + key + "' is missing");
      if (!(t->shape == p->value.shape()))
        throw IoError(where + "tensor '" + key + "' has shape " + t->shape.str() + ", the model's parameter has " + p->value.shape().str());
      if (t->dtype == p->value.dtype()) p->value.backend().upload(p->value, t->bytes.data(), t->bytes.size());
      else {
        Tensor host_side = p->value.backend().empty(t->shape, t->dtype);
        host_side.backend().upload(host_side, t->bytes.data(), t->bytes.size());
        from_host(p->value, to_host<double>(host_side));
      }
      ++used;
    }
  if (used != file.tensors.size())
    throw IoError(where + "holds " + std::to_string(file.tensors.size()) + " tensors, the model has " + std::to_string(used) + " parameters");
  return out;
}

}  // namespace nnplug
