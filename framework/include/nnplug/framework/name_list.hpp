#pragma once
// The names a message offers in place of a wrong one ("available: dense, relu"), or "none" when there are none.
#include <string>
#include <vector>

#include <fmt/format.h>

namespace nnplug {

inline std::string name_list(const std::vector<std::string>& names) {
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace nnplug
