#pragma once
// Params: the parameters a spec file gives one plugin object, e.g. {"type": "dense", "units": 256}.
// Typed getters check types and ranges and throw InvalidArgument messages that name the owner ("layer 2 (dense)")
// and the field. Every getter records the key it asked for, present or not, so that check_unused() can reject a
// misspelt parameter and list the ones the plugin takes.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nnplug/errors.hpp"

namespace nnplug {

class Params {
 public:
  using Json = nlohmann::json;

  Params() : json_(Json::object()) {}
  // owner names the object in messages; a string value is shorthand for {"type": value}.
  Params(std::string owner, Json json) : owner_(std::move(owner)), json_(std::move(json)) {
    if (json_.is_string()) json_ = Json{{"type", json_.get<std::string>()}};
    if (json_.is_null()) json_ = Json::object();
    if (!json_.is_object()) fail("", fmt::format("must be an object or a name, got {}", shown(json_)));
  }

  const std::string& owner() const { return owner_; }
  void set_owner(std::string owner) { owner_ = std::move(owner); }
  const Json& json() const { return json_; }
  bool has(const std::string& key) const { return json_.contains(key); }

  // The plugin name this object asks for ("type"), empty if none.
  std::string type() const {
    used_.insert("type");
    return json_.contains("type") && json_["type"].is_string() ? json_["type"].get<std::string>() : "";
  }

  // Optional getters take the value to use when the key is absent; require_* throw when it is absent.
  double number(const std::string& key, double fallback, double min = -kInf, double max = kInf) const {
    used_.insert(key);
    return has(key) ? require_number(key, min, max) : fallback;
  }
  double require_number(const std::string& key, double min = -kInf, double max = kInf) const {
    const Json& v = at(key);
    if (!v.is_number()) fail(key, fmt::format("must be a number, got {}", shown(v)));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max) fail(key, fmt::format("must be {}, got {}", range(min, max), shown(v)));
    return d;
  }

  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min = kIntMin,
                       std::int64_t max = kIntMax) const {
    used_.insert(key);
    return has(key) ? require_integer(key, min, max) : fallback;
  }
  std::int64_t require_integer(const std::string& key, std::int64_t min = kIntMin, std::int64_t max = kIntMax) const {
    const Json& v = at(key);
    // A whole number written as a float (1e3, or 1000.0 as Python's json.dumps writes a float) is that integer, up to
    // 2^53, where every integer is still a double.
    const bool whole_float = v.is_number_float() && std::fabs(v.get<double>()) <= 9007199254740992.0 && v.get<double>() == std::floor(v.get<double>());
    if (!v.is_number_integer() && !whole_float) fail(key, fmt::format("must be an integer, got {}", shown(v)));
    const auto i = whole_float ? static_cast<std::int64_t>(v.get<double>()) : v.get<std::int64_t>();
    if (i < min || i > max)
      fail(key, fmt::format("must be {}, got {}", range(static_cast<double>(min), static_cast<double>(max)), shown(v)));
    return i;
  }

  bool boolean(const std::string& key, bool fallback) const {
    used_.insert(key);
    if (!has(key)) return fallback;
    const Json& v = at(key);
    if (!v.is_boolean()) fail(key, fmt::format("must be true or false, got {}", shown(v)));
    return v.get<bool>();
  }

  std::string string(const std::string& key, const std::string& fallback) const {
    used_.insert(key);
    return has(key) ? require_string(key) : fallback;
  }
  std::string require_string(const std::string& key) const {
    const Json& v = at(key);
    if (!v.is_string()) fail(key, fmt::format("must be a string, got {}", shown(v)));
    return v.get<std::string>();
  }

  // A list of numbers, e.g. "betas": [0.9, 0.999]; `count` is the length required (0: any).
  std::vector<double> numbers(const std::string& key, std::vector<double> fallback, std::size_t count = 0,
                              double min = -kInf, double max = kInf) const {
    used_.insert(key);
    if (!has(key)) return fallback;
    const Json& v = at(key);
    if (!v.is_array() || (count && v.size() != count))
      fail(key, fmt::format("must be a list of {}numbers, got {}", count ? fmt::format("{} ", count) : "", shown(v)));
    std::vector<double> out;
    for (const auto& x : v) {
      if (!x.is_number() || !std::isfinite(x.get<double>()) || x.get<double>() < min || x.get<double>() > max)
        fail(key, fmt::format("must hold {}, got {}", range(min, max) == "finite" ? "finite numbers" : "numbers " + range(min, max), shown(v)));
      out.push_back(x.get<double>());
    }
    return out;
  }

  // A nested object, e.g. "weight_init": {"type": "normal", "std": 0.01} or the shorthand "weight_init": "zeros".
  Params child(const std::string& key, const Json& fallback) const {
    used_.insert(key);
    return Params(fmt::format("{} {}", owner_, key), json_.contains(key) ? json_[key] : fallback);
  }

  // Marks keys that another reader handles, so that check_unused() does not report them.
  void accept(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) used_.insert(k);
  }

  // Throws InvalidArgument naming every key no getter read, with the keys that were read (the ones it takes).
  void check_unused() const {
    std::vector<std::string> unknown;
    for (const auto& [key, value] : json_.items())
      if (!used_.count(key)) unknown.push_back(shortened(key));
    if (unknown.empty()) return;
    throw InvalidArgument(fmt::format("{}: unknown parameter '{}' (it takes: {})", owner_, fmt::join(unknown, "', '"),
                                      used_.empty() ? "no parameters" : fmt::format("{}", fmt::join(used_, ", "))));
  }

  // Text as a message shows it: whole, or when long (a 50 MB string) its first 80 characters and its length.
  static std::string shortened(const std::string& text) {
    if (text.size() <= 80) return text;
    return fmt::format("{}... ({} characters)", text.substr(0, 80), text.size());
  }
  // A value as a message shows it: its JSON, shortened; bytes that are not UTF-8 are replaced, not thrown on.
  static std::string shown(const Json& value) { return shortened(value.dump(-1, ' ', false, Json::error_handler_t::replace)); }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InvalidArgument(key.empty() ? fmt::format("{} {}", owner_, what) : fmt::format("{}: parameter '{}' {}", owner_, key, what));
  }

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  static constexpr std::int64_t kIntMin = std::numeric_limits<std::int64_t>::min();
  static constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

  const Json& at(const std::string& key) const {
    used_.insert(key);
    if (!json_.contains(key)) fail(key, "is required");
    return json_[key];
  }

  // "in [0, 1]", ">= 1", "<= 5" or "finite": integer bounds at the int64 limits count as unbounded.
  static std::string range(double min, double max) {
    auto show = [](double x) {
      return x == std::floor(x) && std::abs(x) < 1e15 ? fmt::format("{}", static_cast<std::int64_t>(x)) : nlohmann::json(x).dump();
    };
    const bool no_min = min <= -9.2e18, no_max = max >= 9.2e18;
    if (no_min && no_max) return "finite";
    if (no_max) return fmt::format(">= {}", show(min));
    if (no_min) return fmt::format("<= {}", show(max));
    return fmt::format("in [{}, {}]", show(min), show(max));
  }

  std::string owner_;
  Json json_;
  mutable std::set<std::string> used_;
};

}  // namespace nnplug
