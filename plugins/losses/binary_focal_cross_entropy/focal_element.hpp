#pragma once
// One element of the loss binary_focal_cross_entropy (binary_focal_cross_entropy.cpp): the cross-entropy of the
// logit z against the target t, times a_t (1 - p_t)^gamma, and its derivative in z. Plain arithmetic, without
// nnplug's headers, so that nvcc compiles it into the CUDA kernel (focal_element.cu) as g++ into the CPU kernel.
//
// With p = sigmoid(z) and q = sigmoid(-z) = 1 - p, each computed directly so that neither loses its digits where
// the other is near 1: ce = max(z, 0) - z t + log1p(exp(-|z|)), m = 1 - p_t = t q + (1 - t) p, and
//   d/dz [a_t m^gamma ce] = a_t (gamma m^(gamma - 1) (1 - 2t) p q ce + m^gamma (p - t)),
// whose first term is taken as 0 where m is 0 (there p q vanishes as fast as m, so the product goes to 0 for any
// gamma > 0, where the formula would give 0 times infinity).
#include <cmath>

#include "../../shared/host_device.hpp"
#include "../shared/element_mean.hpp"

namespace nnplug::losses {

struct FocalElement {
  double gamma, alpha;  // alpha < 0: no weighing of positives against negatives
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit FocalElement(const Attributes& a) : gamma(a.number("gamma")), alpha(a.number("alpha")) {}
  NNPLUG_HOST_DEVICE ValueAndSlope operator()(double z, double t) const {
    const double p = 1.0 / (1.0 + exp(-z)), q = 1.0 / (1.0 + exp(z));
    const double ce = (z > 0 ? z : 0.0) - z * t + log1p(exp(-fabs(z)));
    const double m = t * q + (1 - t) * p, focus = pow(m, gamma);
    const double a_t = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
    const double focus_slope = m > 0 && gamma != 0 ? gamma * (focus / m) * (1 - 2 * t) * p * q : 0.0;  // m^(gamma - 1), without a second pow
    return {a_t * focus * ce, a_t * (focus_slope * ce + focus * (p - t))};
  }
};

}  // namespace nnplug::losses
