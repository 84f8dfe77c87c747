#include "nnplug/framework/user_json.hpp"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

namespace nnplug {

namespace {

struct Finding {
  std::size_t line;
  std::string what;
};

// A key as the parser will hold it: escapes decoded (so that "a" and "\u0061" are the same key).
std::string decoded(std::string_view raw) {
  if (raw.find('\\') == std::string_view::npos) return std::string(raw);
  try {
    return Params::Json::parse(fmt::format("\"{}\"", raw)).get<std::string>();
  } catch (const Params::Json::exception&) {
    return std::string(raw);  // a bad escape: the parser reports it
  }
}

// One pass over the text, without recursion: the first repeated key, container too deep or number too large, with
// its line. Text that is not JSON is left to the parser, which says where.
std::optional<Finding> scan(std::string_view text) {
  std::vector<std::set<std::string>> keys;  // one per open container; arrays keep theirs empty
  std::vector<bool> object;
  bool expect_key = false;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      std::size_t end = i + 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size()) return std::nullopt;
      if (expect_key && !object.empty() && object.back()) {
        const std::string key = decoded(text.substr(i + 1, end - i - 1));
        if (!keys.back().insert(key).second) return Finding{line, "duplicate key " + Params::shown(key)};
        expect_key = false;
      }
      i = end;
    } else if (c == '{' || c == '[') {
      if (object.size() >= kMaxJsonDepth) return Finding{line, fmt::format("nested deeper than {} levels", kMaxJsonDepth)};
      object.push_back(c == '{');
      keys.emplace_back();
      expect_key = c == '{';
    } else if (c == '}' || c == ']') {
      if (object.empty()) return std::nullopt;
      object.pop_back();
      keys.pop_back();
      expect_key = false;
    } else if (c == ',') {
      expect_key = !object.empty() && object.back();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      // nlohmann refuses a number that overflows a double without saying where: found here, with its line.
      const std::size_t end = std::min(text.find_first_not_of("0123456789+-.eE", i), text.size());
      const std::string number(text.substr(i, end - i));
      if (std::isinf(std::strtod(number.c_str(), nullptr)))
        return Finding{line, fmt::format("the number {} is beyond a double's range (about 1.8e308)", Params::shortened(number))};
      i = end - 1;
    }
  }
  return std::nullopt;
}

}  // namespace

Params::Json parse_user_json(std::string_view text, const std::string& where) {
  if (const auto found = scan(text)) throw InvalidArgument(fmt::format("{}:{}: {}", where, found->line, found->what));
  return Params::Json::parse(text);
}

}  // namespace nnplug
