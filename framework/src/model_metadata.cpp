#include "nnplug/framework/model_metadata.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/user_json.hpp"

namespace nnplug {

namespace {

using Json = Params::Json;

IoError damaged(const std::string& file, const std::string& key, const std::string& value, const std::string& expected) {
  return IoError(fmt::format("{}: damaged metadata: {} is {}; expected {}", file, key, value, expected));
}

// `what` says what a file without the key is not: "a model saved by nnplug".
const std::string& required(const std::map<std::string, std::string>& metadata, const std::string& file, const std::string& key,
                            const char* what, const char* hint = "") {
  const auto it = metadata.find(key);
  if (it == metadata.end()) throw IoError(fmt::format("{}: not {} (no {} in the metadata{})", file, what, key, hint));
  return it->second;
}

Json parsed(const std::string& text, const std::string& file, const std::string& key) {
  try {
    return parse_user_json(text, key);
  } catch (const InvalidArgument& e) {  // a repeated key or nesting past the limit: "KEY:LINE: what"
    throw IoError(fmt::format("{}: damaged metadata: {}", file, e.what()));
  } catch (const Json::exception& e) {
    throw IoError(fmt::format("{}: damaged metadata: {}: {}", file, key, e.what()));
  }
}

// A count: the whole text a whole number in [0, max].
std::int64_t count(const std::string& text, const std::string& file, const std::string& key, std::int64_t max) {
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max)
    throw IoError(fmt::format("{}: damaged metadata: {} is \"{}\", not a whole number in [0, {}]", file, key, Params::shortened(text), max));
  return value;
}

// An optional key's JSON, given to `read` (a from_json, throwing InvalidArgument for what it refuses) where the file
// has the key.
template <typename Read>
void read_optional(const std::map<std::string, std::string>& metadata, const std::string& file, const char* key, Read read) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return;
  try {
    read(parsed(it->second, file, key));
  } catch (const InvalidArgument& e) {
    throw IoError(fmt::format("{}: damaged metadata: {}: {}", file, key, e.what()));
  }
}

}  // namespace

ModelMetadata read_model_metadata(const std::map<std::string, std::string>& metadata, const std::string& file) {
  const char* what = "a model saved by nnplug";
  ModelMetadata out;
  out.spec = parsed(required(metadata, file, "nnplug.spec", what), file, "nnplug.spec");
  if (!out.spec.is_object()) throw damaged(file, "nnplug.spec", Params::shown(out.spec), "a spec (a JSON object)");
  const Json input = parsed(required(metadata, file, "nnplug.input_shape", what), file, "nnplug.input_shape");
  const Json plugins = parsed(required(metadata, file, "nnplug.plugins", what), file, "nnplug.plugins");
  if (const auto it = metadata.find("nnplug.spec_path"); it != metadata.end()) out.spec_path = it->second;

  if (!input.is_array() || input.empty() || input.size() > Model::kMaxSampleSizes)
    throw damaged(file, "nnplug.input_shape", Params::shown(input), fmt::format("a list of 1 to {} sizes", Model::kMaxSampleSizes));
  std::uint64_t values = 1;  // in one sample: bounded, so that no product of the sizes overflows
  for (const auto& d : input) {
    constexpr auto kMax = static_cast<std::uint64_t>(Model::kMaxSampleValues);
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() < 1 || d.get<std::uint64_t>() > kMax || (values *= d.get<std::uint64_t>()) > kMax)
      throw damaged(file, "nnplug.input_shape", Params::shown(input), "sizes that are whole numbers in [1, 2^30], 2^30 values at most in all");
    out.input_shape.push_back(d.get<std::int64_t>());
  }

  if (!plugins.is_array()) throw damaged(file, "nnplug.plugins", Params::shown(plugins), "a list of plugin records");
  for (const auto& p : plugins) {
    if (!p.is_object() || !p.value("kind", Json()).is_string() || !p.value("name", Json()).is_string() ||
        !p.value("library", Json()).is_string() || !p.value("version", Json()).is_string() || !p.value("abi", Json()).is_number_unsigned() ||
        p["abi"].get<std::uint64_t>() > 1000000)
      throw damaged(file, "nnplug.plugins", Params::shown(p), "a record of kind, name, library, version (strings) and abi (a whole number)");
    out.plugins.push_back({p["kind"], p["name"], p["library"], p["version"], p["abi"].get<unsigned>()});
  }

  // The fitted preprocessing: absent in files written before it was saved, and where the spec names none.
  read_optional(metadata, file, "nnplug.preprocessing",
                [&](const Json& j) { out.preprocessing = InputPreprocessing::from_json(j, out.input_shape.numel()); });
  // The targets' standardization: absent where the spec's data did not ask for it.
  read_optional(metadata, file, "nnplug.target_scaling", [&](const Json& j) { out.target_scaling = TargetScaling::from_json(j); });
  // The texts' vocabulary: absent where the data is not text.
  read_optional(metadata, file, "nnplug.text_vectorization", [&](const Json& j) { out.text_vectorization = TextVectorization::from_json(j); });

  for (const auto& [key, flag] : {std::pair{"nnplug.step_labels", &out.step_labels}, std::pair{"nnplug.value_targets", &out.value_targets}})
    if (const auto it = metadata.find(key); it != metadata.end()) {
      if (it->second != "true" && it->second != "false") throw damaged(file, key, Params::shortened(it->second), "true or false");
      *flag = it->second == "true";
    }
  const auto names = [](const Json& j) { return j.is_array() && std::all_of(j.begin(), j.end(), [](const Json& n) { return n.is_string(); }); };
  if (const auto it = metadata.find("nnplug.class_names"); it != metadata.end()) {
    const Json listed = parsed(it->second, file, "nnplug.class_names");
    if (!names(listed)) throw damaged(file, "nnplug.class_names", Params::shown(listed), "a list of class names (strings)");
    out.class_names = listed.get<std::vector<std::string>>();
  }
  if (const auto it = metadata.find("nnplug.columns"); it != metadata.end()) {
    const Json columns = parsed(it->second, file, "nnplug.columns");
    const Json none = Json::array();
    const auto parts = {"features", "label", "targets", "classes", "categories"};
    // Each feature column's categories; where the file had a header, as many lists as features.
    const Json categories = columns.is_object() ? columns.value("categories", none) : none;
    const auto distinct = [&](const Json& list) { return names(list) && std::set<std::string>(list.begin(), list.end()).size() == list.size(); };
    const bool categories_fit = categories.is_array() && std::ranges::all_of(categories, distinct) &&
                                (categories.empty() || columns.value("features", none).empty() || categories.size() == columns["features"].size());
    if (!columns.is_object() || !names(columns.value("features", none)) || !columns.value("label", Json("")).is_string() ||
        !names(columns.value("targets", none)) || !names(columns.value("classes", none)) || !categories_fit ||
        std::ranges::any_of(columns.items(), [&](const auto& part) { return std::ranges::find(parts, part.key()) == parts.end(); }))
      throw damaged(file, "nnplug.columns", Params::shown(columns),
                    R"({"features": [names], "label": name, "targets": [names], "classes": [names], "categories": [[names] per feature]})");
    const auto listed = [&](const char* part) { return columns.value(part, none).get<std::vector<std::string>>(); };
    out.column_names = {listed("features"), columns.value("label", std::string()), listed("targets"), listed("classes"),
                        categories.get<std::vector<std::vector<std::string>>>()};
  }

  // Layer counters (dropout's mask counter): absent in files written before they were saved.
  if (const auto it = metadata.find("nnplug.counters"); it != metadata.end()) {
    const Json counters = parsed(it->second, file, "nnplug.counters");
    const char* expected = "an object from layer indices to lists of whole numbers";
    if (!counters.is_object()) throw damaged(file, "nnplug.counters", Params::shown(counters), expected);
    for (const auto& [key, values] : counters.items()) {
      const auto layer = static_cast<std::size_t>(count(key, file, "a key of nnplug.counters", 1000000));
      if (!values.is_array()) throw damaged(file, "nnplug.counters", Params::shown(counters), expected);
      for (const auto& v : values)
        if (!v.is_number_unsigned()) throw damaged(file, "nnplug.counters", Params::shown(counters), expected);
      out.counters[layer] = values.get<std::vector<std::uint64_t>>();
    }
  }
  return out;
}

CheckpointMetadata read_checkpoint_metadata(const std::map<std::string, std::string>& metadata, const std::string& file) {
  const auto field = [&](const char* key) -> const std::string& {
    return required(metadata, file, key, "a checkpoint", "; write checkpoints with the checkpoint callback");
  };
  CheckpointMetadata out;
  out.optimizer = field("nnplug.optimizer");
  out.optimizer_steps = count(field("nnplug.optimizer_steps"), file, "nnplug.optimizer_steps", std::int64_t{1} << 62);
  out.epoch = static_cast<int>(count(field("nnplug.epoch"), file, "nnplug.epoch", 1000000));
  const auto callbacks = metadata.find("nnplug.callbacks");
  if (callbacks == metadata.end()) return out;  // written before callbacks kept state
  const Json list = parsed(callbacks->second, file, "nnplug.callbacks");
  const char* expected = "a list of {\"kind\": NAME, \"values\": ..., \"weights\": COUNT}";
  if (!list.is_array()) throw damaged(file, "nnplug.callbacks", Params::shown(list), expected);
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("kind") || !entry["kind"].is_string() || !entry.contains("values") || !entry.contains("weights") ||
        !entry["weights"].is_number_unsigned() || entry["weights"].get<std::uint64_t>() > 1000000)
      throw damaged(file, "nnplug.callbacks", Params::shown(list), expected);
    out.callbacks.push_back({entry["kind"].get<std::string>(), entry["values"], entry["weights"].get<std::size_t>()});
  }
  return out;
}

}  // namespace nnplug
