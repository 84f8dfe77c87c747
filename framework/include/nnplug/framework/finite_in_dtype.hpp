#pragma once
// Whether a value is one a parameter of a dtype can hold: neither NaN nor infinite, and within the dtype's range
// (1e300 is finite in double but infinite once stored in float32). Initializers' draws and stored weights are
// checked with it before they are written.
#include <cmath>
#include <limits>

#include "nnplug/dtype.hpp"

namespace nnplug {

inline bool finite_in(double v, DType dtype) {
  const double largest = dtype == DType::Float32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  return std::abs(v) <= largest;
}

}  // namespace nnplug
