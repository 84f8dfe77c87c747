#pragma once
// log sum_j exp(z_j / divisor) of one row of c logits, from its largest term so that no exponential overflows: the
// log-softmax's normaliser that the losses of a softmax row (soft targets, divergence, focal) share on the CPU and, compiled
// by nvcc, on the GPU.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::losses {

template <typename T>
NNPLUG_HOST_DEVICE double row_log_sum_exp(const T* z, std::int64_t c, double divisor = 1.0) {
  double top = static_cast<double>(z[0]);
  for (std::int64_t j = 1; j < c; ++j) top = top < static_cast<double>(z[j]) ? static_cast<double>(z[j]) : top;  // std::max
  top /= divisor;
  double sum = 0.0;
  for (std::int64_t j = 0; j < c; ++j) sum += exp(static_cast<double>(z[j]) / divisor - top);
  return top + log(sum);
}

}  // namespace nnplug::losses
