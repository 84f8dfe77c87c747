#pragma once
// One row of soft_target_cross_entropy, the arithmetic its CPU kernel (softmax_cross_entropy.cpp) and, compiled by
// nvcc, its CUDA kernel (soft_target.cu) share. Probabilities are log-softmax values exponentiated, so that a target
// on a class whose probability underflows still gives a finite loss.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"
#include "../shared/row_log_sum_exp.hpp"

namespace nnplug::losses {

// Logits z and targets t of one row (c values), class weights w: writes the row's gradient to dz, each value divided
// by n (the rows of the mean), and returns the row's loss, -sum_j w_j t'_j log softmax(z)_j with t' the smoothed target.
template <typename T>
NNPLUG_HOST_DEVICE double soft_target_row(const T* z, const T* t, const T* w, T* dz, std::int64_t n, std::int64_t c, double smoothing) {
  const double log_sum = row_log_sum_exp(z, c);
  double weighted_mass = 0.0, total = 0.0;
  for (std::int64_t j = 0; j < c; ++j) {
    const double target = (1 - smoothing) * static_cast<double>(t[j]) + smoothing / static_cast<double>(c);
    weighted_mass += static_cast<double>(w[j]) * target;
    total -= static_cast<double>(w[j]) * target * (static_cast<double>(z[j]) - log_sum);
  }
  for (std::int64_t j = 0; j < c; ++j) {
    const double target = (1 - smoothing) * static_cast<double>(t[j]) + smoothing / static_cast<double>(c);
    const double p = exp(static_cast<double>(z[j]) - log_sum);
    dz[j] = static_cast<T>((p * weighted_mass - static_cast<double>(w[j]) * target) / static_cast<double>(n));
  }
  return total;
}

}  // namespace nnplug::losses
