#pragma once
// One element of the loss log_cosh (log_cosh.cpp): log(cosh(d)) for d = p - t in the form that file explains, and its
// derivative. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel
// (log_cosh_element.cu) as g++ into the CPU kernel.
#include <cmath>
#include <numbers>

#include "../../shared/host_device.hpp"
#include "../shared/element_mean.hpp"

namespace nnplug::losses {

struct LogCoshElement {
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit LogCoshElement(const Attributes&) {}
  NNPLUG_HOST_DEVICE ValueAndSlope operator()(double p, double t) const {
    constexpr double ln2 = std::numbers::ln2;
    const double d = p - t, a = fabs(d);
    return {a + log1p(exp(-2.0 * a)) - ln2, tanh(d)};
  }
};

}  // namespace nnplug::losses
