#pragma once
// One element of the loss mape (mape.cpp): 100 |p - t| / max(|t|, eps), and its derivative, 0 where p = t (as
// TensorFlow's gradient of abs). Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA
// kernel (percentage_error.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"
#include "../shared/element_mean.hpp"

namespace nnplug::losses {

struct PercentageError {
  static constexpr double kEps = 1e-7;  // Keras's backend epsilon
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit PercentageError(const Attributes&) {}
  NNPLUG_HOST_DEVICE ValueAndSlope operator()(double p, double t) const {
    const double scale = 100 / (fabs(t) > kEps ? fabs(t) : kEps), d = p - t;
    return {scale * fabs(d), d > 0 ? scale : d < 0 ? -scale : 0.0};
  }
};

}  // namespace nnplug::losses
