#pragma once
// The momentum a cyclical schedule moves against its rate (PyTorch's cycle_momentum, true by default, with
// base_momentum and max_momentum): the pair (base, max), or none where cycle_momentum is false.
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "nnplug/params.hpp"

namespace nnplug::schedules {

inline std::optional<std::pair<double, double>> cycled_momentum(const Params& p, double base_default, double max_default) {
  if (!p.boolean("cycle_momentum", true)) {
    if (p.has("base_momentum") || p.has("max_momentum")) p.fail("cycle_momentum", "is false, so base_momentum and max_momentum have no use");
    return std::nullopt;
  }
  const double base = p.number("base_momentum", base_default, 0.0, 1.0), max = p.number("max_momentum", max_default, 0.0, 1.0 - 1e-12);
  if (base > max) p.fail("base_momentum", fmt::format("{} is above max_momentum {}", base, max));
  return std::pair{base, max};
}

}  // namespace nnplug::schedules
