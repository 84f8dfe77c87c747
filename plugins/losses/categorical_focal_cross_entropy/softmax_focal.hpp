#pragma once
// One sample of the loss categorical_focal_cross_entropy (categorical_focal_cross_entropy.cpp): the cross-entropy of the
// softmax p of the logits z against the target distribution t, each class's term times alpha (1 - p_c)^gamma, and its
// derivative in z. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel
// (softmax_focal.cu) as g++ into the CPU kernel.
//
// With q_c = 1 - p_c and h_c = p_c dL/dp_c = -alpha t_c (q_c^gamma - gamma q_c^(gamma - 1) p_c log p_c), the softmax's
// Jacobian gives dL/dz_j = h_j - p_j sum_c h_c. log p comes from the log-sum-exp; q_c of the one class whose p_c may
// pass 1/2 is the sum of the other classes' p, so that it keeps its digits as p_c nears 1; the
// second term of h_c is taken as 0 where q_c is 0 (p_c log p_c vanishes there faster than q_c^(gamma - 1) grows).
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"
#include "../shared/row_log_sum_exp.hpp"

namespace nnplug::losses {

struct SoftmaxFocal {
  double gamma, alpha;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SoftmaxFocal(const Attributes& a) : gamma(a.number("gamma")), alpha(a.number("alpha")) {}
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* z, const T* t, T* dz, std::int64_t c, double weight) const {
    const double log_sum = row_log_sum_exp(z, c);
    double loss = 0.0, h_sum = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double log_p = static_cast<double>(z[j]) - log_sum, p = exp(log_p), target = static_cast<double>(t[j]);
      double q = 1.0 - p;
      if (p >= 0.5) {
        q = 0.0;
        for (std::int64_t k = 0; k < c; ++k) q += k == j ? 0.0 : exp(static_cast<double>(z[k]) - log_sum);
      }
      const double focus_over_q = q > 0 ? pow(q, gamma - 1) : 0.0, focus = q > 0 ? focus_over_q * q : (gamma == 0 ? 1.0 : 0.0);
      const double h = -alpha * target * (focus - (gamma != 0 ? gamma * focus_over_q * p * log_p : 0.0));
      loss -= alpha * target * focus * log_p;
      h_sum += h;
      dz[j] = static_cast<T>(h);
    }
    for (std::int64_t j = 0; j < c; ++j) {
      const double p = exp(static_cast<double>(z[j]) - log_sum);
      dz[j] = static_cast<T>(weight * (static_cast<double>(dz[j]) - p * h_sum));
    }
    return loss;
  }
};

}  // namespace nnplug::losses
