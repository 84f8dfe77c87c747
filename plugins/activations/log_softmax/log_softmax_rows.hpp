#pragma once
// One row of the activation log_softmax (log_softmax.cpp) and of its gradient. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernels (log_softmax_rows.cu) as g++ into the CPU ones.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::activations {

// y = x - log(sum(exp(x))), the sum taken after subtracting the row's largest value, so that it never overflows.
template <typename T>
NNPLUG_HOST_DEVICE void log_softmax_row(const T* x, T* y, std::int64_t c) {
  double largest = static_cast<double>(x[0]);
  for (std::int64_t j = 1; j < c; ++j) largest = static_cast<double>(x[j]) > largest ? static_cast<double>(x[j]) : largest;
  double sum = 0.0;
  for (std::int64_t j = 0; j < c; ++j) sum += exp(static_cast<double>(x[j]) - largest);
  const double log_sum = largest + log(sum);
  for (std::int64_t j = 0; j < c; ++j) y[j] = static_cast<T>(static_cast<double>(x[j]) - log_sum);
}

// dx = dy - softmax(x) sum(dy), softmax(x) being exp(y).
template <typename T>
NNPLUG_HOST_DEVICE void log_softmax_grad_row(const T* y, const T* dy, T* dx, std::int64_t c) {
  double sum = 0.0;
  for (std::int64_t j = 0; j < c; ++j) sum += static_cast<double>(dy[j]);
  for (std::int64_t j = 0; j < c; ++j) dx[j] = static_cast<T>(static_cast<double>(dy[j]) - exp(static_cast<double>(y[j])) * sum);
}

}  // namespace nnplug::activations
