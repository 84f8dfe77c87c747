#pragma once
// One sample of the loss kl_divergence (kl_divergence.cpp): T^2 times the divergence of the softmax of z / T from the
// target distribution t, with 0 log 0 = 0. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into
// the CUDA kernel (softmax_divergence.cu) as g++ into the CPU kernel.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"
#include "../shared/row_log_sum_exp.hpp"

namespace nnplug::losses {

struct SoftmaxDivergence {
  double temperature;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SoftmaxDivergence(const Attributes& a) : temperature(a.number("temperature")) {}
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* z, const T* t, T* dz, std::int64_t c, double weight) const {
    const double log_sum = row_log_sum_exp(z, c, temperature);
    double mass = 0.0;
    for (std::int64_t j = 0; j < c; ++j) mass += static_cast<double>(t[j]);
    double divergence = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double target = static_cast<double>(t[j]), log_p = static_cast<double>(z[j]) / temperature - log_sum;
      if (target > 0) divergence += target * (log(target) - log_p);
      dz[j] = static_cast<T>(weight * temperature * (exp(log_p) * mass - target));
    }
    return temperature * temperature * divergence;
  }
};

}  // namespace nnplug::losses
