#pragma once
// One sample of the loss categorical_hinge (categorical_hinge.cpp): max(0, 1 + max_j (1 - t_j) p_j - sum_j t_j p_j),
// and its gradient: where the margin is missed, -t_j, plus 1 - t_k at k, the first place of the largest (1 - t_j) p_j.
// Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel (categorical_hinge_row.cu)
// as g++ into the CPU kernel.
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::losses {

struct CategoricalHingeRow {
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit CategoricalHingeRow(const Attributes&) {}
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const {
    double positive = 0.0, negative = 0.0;
    std::int64_t k = 0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double pj = static_cast<double>(p[j]), tj = static_cast<double>(t[j]), other = (1 - tj) * pj;
      positive += tj * pj;
      if (j == 0 || other > negative) negative = other, k = j;
    }
    const double loss = 1 + negative - positive;
    for (std::int64_t j = 0; j < c; ++j)
      dp[j] = static_cast<T>(loss > 0 ? weight * (-static_cast<double>(t[j]) + (j == k ? 1 - static_cast<double>(t[j]) : 0.0)) : 0.0);
    return loss > 0 ? loss : 0.0;
  }
};

}  // namespace nnplug::losses
