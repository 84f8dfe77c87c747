#include "nnplug/framework/spec.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/user_json.hpp"

namespace nnplug {

Params Spec::section(const std::string& key, const Params::Json& fallback) const {
  return Params(fmt::format("{}: {}", where(), key), json.contains(key) ? json[key] : fallback);
}

std::filesystem::path Spec::resolve(const std::string& p) const {
  const std::filesystem::path candidate(p);
  return candidate.is_absolute() ? candidate : path.parent_path() / candidate;
}

void Spec::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidArgument(fmt::format("--set '{}': expected PATH=VALUE, e.g. optimizer.lr=0.01", assignment));
  try {
    (void)Params::Json(assignment).dump();  // JSON holds UTF-8 text only; found now, not when the spec is saved
  } catch (const Params::Json::type_error&) {
    throw InvalidArgument("--set: the assignment is not valid UTF-8 text; spec fields and values must be");
  }
  const std::string path_text = assignment.substr(0, eq), value_text = assignment.substr(eq + 1);
  Params::Json value;
  try {
    value = parse_user_json(value_text, fmt::format("--set {}", assignment));
  } catch (const Params::Json::parse_error&) {
    value = value_text;  // a bare word: he_normal, sgd, ...
  } catch (const Params::Json::exception& e) {  // anything else nlohmann refuses (parse_user_json places an overflow)
    throw InvalidArgument(fmt::format("--set '{}': {}", assignment, e.what()));
  }
  Params::Json* node = &json;
  std::stringstream parts(path_text);
  std::string part, walked;
  std::vector<std::string> keys;
  for (std::string k; std::getline(parts, k, '.');) {
    // "layers[0]", as messages name a layer, is "layers.0": each trailing [digits] is an index of its own, and
    // [-1], as in Python, the last entry.
    std::vector<std::string> indices;
    auto index_opens_at = [&k](std::size_t open) {
      const std::size_t digits = open + 1 + (open + 1 < k.size() && k[open + 1] == '-');
      return digits + 1 < k.size() && k.find_first_not_of("0123456789", digits) == k.size() - 1;
    };
    for (auto open = k.rfind('['); open != std::string::npos && k.back() == ']' && index_opens_at(open); open = k.rfind('[')) {
      indices.insert(indices.begin(), k.substr(open + 1, k.size() - open - 2));
      k.erase(open);
    }
    keys.push_back(k);
    keys.insert(keys.end(), indices.begin(), indices.end());
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    walked = i == 0 ? key : fmt::format("{}.{}", walked, key);
    if (node->is_array()) {
      std::int64_t index = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc() || end != key.data() + key.size() || key.empty())  // "1abc" and "" are no index
        throw InvalidArgument(fmt::format("--set {}: '{}' indexes an array; use a whole number", path_text, walked));
      const auto size = static_cast<std::int64_t>(node->size());
      if (index >= size || index < -size)
        throw InvalidArgument(fmt::format("--set {}: '{}' is past the {} ({} entr{})", path_text, walked, index < 0 ? "start" : "end", size,
                                          size == 1 ? "y" : "ies"));
      node = &(*node)[static_cast<std::size_t>(index < 0 ? index + size : index)];
    } else {
      if (node->is_null()) *node = Params::Json::object();  // a section the spec does not have yet
      if (node->is_string()) *node = Params::Json{{"type", node->get<std::string>()}};  // "adam" -> {"type": "adam"}
      if (!node->is_object()) throw InvalidArgument(fmt::format("--set {}: '{}' is inside a value, not an object", path_text, walked));
      node = &(*node)[key];
    }
  }
  *node = value;
}

Spec parse_spec(const std::string& text, const std::filesystem::path& path) {
  Spec spec;
  spec.path = path;
  try {
    spec.json = parse_user_json(text, path.string());
  } catch (const Params::Json::parse_error& e) {
    // nlohmann reports a byte offset; people read lines and columns.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    std::string what = e.what();
    if (const auto pos = what.find("; "); pos != std::string::npos) what = what.substr(pos + 2);
    throw InvalidArgument(fmt::format("{}:{}:{}: not valid JSON: {}", path.string(), line, column, what));
  } catch (const Params::Json::exception& e) {
    // Anything else nlohmann refuses; a number beyond double's range (found by fuzz/spec_fuzzer) parse_user_json places.
    throw InvalidArgument(fmt::format("{}: {}", path.string(), e.what()));
  }
  if (!spec.json.is_object()) throw InvalidArgument(fmt::format("{}: a spec must be a JSON object", path.string()));
  return spec;
}

Spec load_spec(const std::filesystem::path& path) {
  if (path.extension() == ".safetensors")  // a binary file, which the JSON reader would call garbage at its first byte
    throw InvalidArgument(fmt::format("{}: a saved model, not a spec file (JSON); nnplug evaluate, predict and summary take saved models, "
                                      "Network.load in Python and C++", path.string()));
  require_regular_file(path, "the spec file", 64 << 20);
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: the spec file cannot be opened", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_spec(ss.str(), path);
}

}  // namespace nnplug
