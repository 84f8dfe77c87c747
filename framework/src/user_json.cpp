#include "nnplug/framework/user_json.hpp"

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

// One pass over the text, without recursion: the first repeated key or the first container too deep, with its
// line. Text that is not JSON is left to the parser, which says where.
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
