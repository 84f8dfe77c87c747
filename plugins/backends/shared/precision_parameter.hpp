#pragma once
// The "precision" parameter every backend takes (the spec's "precision" reaches it so, see the framework's
// precision.hpp): "float32", the default, or "bfloat16" for mixed precision. A backend that cannot run bfloat16
// here refuses it afterwards with its own reason.
#include <string>

#include <fmt/format.h>

#include "nnplug/params.hpp"

namespace nnplug::backends {

// Whether `p` asks for bfloat16; any name but the two is refused, naming the parameter.
inline bool asks_for_bfloat16(const Params& p) {
  const std::string precision = p.string("precision", "float32");
  if (precision != "float32" && precision != "bfloat16")
    p.fail("precision", fmt::format("must be \"float32\" or \"bfloat16\", got \"{}\"", Params::shortened(precision)));
  return precision == "bfloat16";
}

}  // namespace nnplug::backends
