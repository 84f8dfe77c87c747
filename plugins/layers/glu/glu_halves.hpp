#pragma once
// One output element of the layer glu (glu.cpp) and its input gradient. Plain arithmetic, without nnplug's headers,
// so that nvcc compiles it into the CUDA kernels (glu_halves.cu) as g++ into the CPU ones.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::layers {

// The input as outer x (2 half) x inner values, the gated axis in the middle: its first half a, its second b.
struct GluHalves {
  std::int64_t outer, half, inner;
  NNPLUG_HOST_DEVICE std::int64_t outputs() const { return outer * half * inner; }
  // Where output i's a lies in the input; its b lies half x inner further.
  NNPLUG_HOST_DEVICE std::int64_t a_of(std::int64_t i) const { return i / (half * inner) * 2 * half * inner + i % (half * inner); }
};

NNPLUG_HOST_DEVICE inline double glu_sigmoid(double v) { return 1 / (1 + exp(-v)); }

// y = a sigmoid(b).
template <typename T>
NNPLUG_HOST_DEVICE void glu_output(const GluHalves& h, const T* x, T* y, std::int64_t i) {
  const std::int64_t a = h.a_of(i);
  y[i] = static_cast<T>(static_cast<double>(x[a]) * glu_sigmoid(static_cast<double>(x[a + h.half * h.inner])));
}

// da = dy sigmoid(b), db = dy a sigmoid(b) (1 - sigmoid(b)): each input element is written by one output's thread.
template <typename T>
NNPLUG_HOST_DEVICE void glu_input_gradient(const GluHalves& h, const T* x, const T* dy, T* dx, std::int64_t i) {
  const std::int64_t a = h.a_of(i), b = a + h.half * h.inner;
  const double s = glu_sigmoid(static_cast<double>(x[b])), g = static_cast<double>(dy[i]);
  dx[a] = static_cast<T>(g * s);
  dx[b] = static_cast<T>(g * static_cast<double>(x[a]) * s * (1 - s));
}

}  // namespace nnplug::layers
