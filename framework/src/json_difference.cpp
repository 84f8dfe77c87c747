#include "nnplug/framework/json_difference.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace nnplug {

namespace {

using Json = Params::Json;

std::string shown_or_absent(const Json* value) { return value ? Params::shown(*value) : "absent"; }

std::string said(const std::string& path, const Json* a, const Json* b, const std::string& a_name, const std::string& b_name) {
  return fmt::format("{}: {} in {}, {} in {}", path.empty() ? "the whole value" : path, shown_or_absent(a), a_name, shown_or_absent(b), b_name);
}

std::string child_path(const std::string& path, const std::string& key) { return path.empty() ? key : fmt::format("{}.{}", path, key); }

}  // namespace

std::string first_difference(const Json& a, const Json& b, const std::string& a_name, const std::string& b_name, const std::string& path) {
  if (a == b) return "";
  if (a.is_array() && b.is_array()) {
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i)
      if (auto d = first_difference(a[i], b[i], a_name, b_name, fmt::format("{}[{}]", path, i)); !d.empty()) return d;
    const std::string at = fmt::format("{}[{}]", path, common);  // the first element one side lacks
    return said(at, common < a.size() ? &a[common] : nullptr, common < b.size() ? &b[common] : nullptr, a_name, b_name);
  }
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key)) return said(child_path(path, key), &value, nullptr, a_name, b_name);
      if (auto d = first_difference(value, b[key], a_name, b_name, child_path(path, key)); !d.empty()) return d;
    }
    for (const auto& [key, value] : b.items())
      if (!a.contains(key)) return said(child_path(path, key), nullptr, &value, a_name, b_name);
  }
  return said(path, &a, &b, a_name, b_name);
}

}  // namespace nnplug
