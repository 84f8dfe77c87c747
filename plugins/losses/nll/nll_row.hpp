#pragma once
// One sample of the loss nll (nll.cpp): -sum_j t_j p_j over log-probabilities p and a one-hot (or distribution)
// target t, and its gradient -t_j. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the
// CUDA kernel (nll_row.cu) as g++ into the CPU kernel.
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::losses {

struct NegativeLogLikelihoodRow {
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit NegativeLogLikelihoodRow(const Attributes&) {}
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const {
    double loss = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      loss -= static_cast<double>(t[j]) * static_cast<double>(p[j]);
      dp[j] = static_cast<T>(-weight * static_cast<double>(t[j]));
    }
    return loss;
  }
};

}  // namespace nnplug::losses
