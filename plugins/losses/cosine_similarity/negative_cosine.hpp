#pragma once
// One sample of the loss cosine_similarity (cosine_similarity.cpp): minus the cosine between the sample's outputs and
// its target, each norm taken as at least eps. Plain arithmetic, without nnplug's headers, so that nvcc compiles it
// into the CUDA kernel (negative_cosine.cu) as g++ into the CPU kernel.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::losses {

struct NegativeCosine {
  double eps;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit NegativeCosine(const Attributes& a) : eps(a.number("eps")) {}
  // d cos / dp_j = t_j / (|p| |t|) - cos p_j / |p|^2, the second term only where |p| is above eps (below, |p| is the
  // constant eps).
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const {
    double dot = 0.0, pp = 0.0, tt = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double pj = static_cast<double>(p[j]), tj = static_cast<double>(t[j]);
      dot += pj * tj, pp += pj * pj, tt += tj * tj;
    }
    const double p_norm = sqrt(pp), t_norm = sqrt(tt);
    const double norms = (p_norm > eps ? p_norm : eps) * (t_norm > eps ? t_norm : eps);  // std::max
    const double cosine = dot / norms, radial = p_norm > eps ? cosine / pp : 0.0;
    for (std::int64_t j = 0; j < c; ++j)
      dp[j] = static_cast<T>(-weight * (static_cast<double>(t[j]) / norms - radial * static_cast<double>(p[j])));
    return -cosine;
  }
};

}  // namespace nnplug::losses
