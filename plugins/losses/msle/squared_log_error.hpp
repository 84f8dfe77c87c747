#pragma once
// One element of the loss msle (msle.cpp): (log(1 + max(p, eps)) - log(1 + max(t, eps)))², and its derivative, 0 where
// the prediction is clamped. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel
// (squared_log_error.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"
#include "../shared/element_mean.hpp"

namespace nnplug::losses {

struct SquaredLogError {
  static constexpr double kEps = 1e-7;  // Keras's backend epsilon
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SquaredLogError(const Attributes&) {}
  NNPLUG_HOST_DEVICE ValueAndSlope operator()(double p, double t) const {
    const double d = log1p(p > kEps ? p : kEps) - log1p(t > kEps ? t : kEps);
    return {d * d, p > kEps ? 2 * d / (1 + p) : 0.0};
  }
};

}  // namespace nnplug::losses
