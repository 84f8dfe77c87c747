#pragma once
// JSON that a user hands nnplug (a spec, a --set or --backend value, a model file's header), parsed with two rules
// nlohmann's parser leaves out: no object may repeat a key (nlohmann keeps the last one without a word), and
// nesting stops at kMaxJsonDepth levels (code that walks a value recursively, dump() included, must not run out of
// stack on a file nested a hundred thousand levels deep).
#include <string>
#include <string_view>

#include "nnplug/params.hpp"

namespace nnplug {

inline constexpr std::size_t kMaxJsonDepth = 100;

// Throws InvalidArgument "WHERE:LINE: duplicate key "k"", "WHERE:LINE: nested deeper than 100 levels" or, for a
// number past a double's range (which nlohmann refuses without a place), "WHERE:LINE: the number ..."; a syntax
// error is nlohmann's parse_error (with its byte offset), for the caller to place.
Params::Json parse_user_json(std::string_view text, const std::string& where);

}  // namespace nnplug
