#pragma once
// One element of the loss smooth_l1 (smooth_l1.cpp): 0.5 d² / beta where |d| < beta, else |d| - 0.5 beta, for
// d = p - t, and its derivative. beta 0 never takes the first branch: |d|, whose derivative is sign(d). Plain
// arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel (smooth_l1_element.cu) as g++
// into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"
#include "../shared/element_mean.hpp"

namespace nnplug::losses {

struct SmoothL1Element {
  double beta;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SmoothL1Element(const Attributes& a) : beta(a.number("beta")) {}
  NNPLUG_HOST_DEVICE ValueAndSlope operator()(double p, double t) const {
    const double d = p - t;
    if (fabs(d) < beta) return {0.5 * d * d / beta, d / beta};
    return {fabs(d) - 0.5 * beta, d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0};
  }
};

}  // namespace nnplug::losses
