#pragma once
// A loss of elements (log-cosh, Poisson) as a sample loss (sample_loss_op.hpp): the mean over the sample's values of
// an element function, as Keras's losses do and PyTorch's reduction="mean" gives alike. Plain arithmetic, without
// nnplug's headers, so that nvcc compiles it into a loss's CUDA kernel (sample_loss_cuda.cuh) as g++ into its CPU one.
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::losses {

// What an element function returns: the element's loss and its derivative in the prediction.
struct ValueAndSlope {
  double value, slope;
};

// Element: a struct made from the op's attributes whose operator()(double p, double t) returns a ValueAndSlope.
template <typename Element>
struct ElementMean {
  Element element;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit ElementMean(const Attributes& a) : element(a) {}
  template <typename T>
  NNPLUG_HOST_DEVICE double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const {
    const double scale = weight / static_cast<double>(c);
    double sum = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const ValueAndSlope e = element(static_cast<double>(p[j]), static_cast<double>(t[j]));
      sum += e.value;
      dp[j] = static_cast<T>(scale * e.slope);
    }
    return sum / static_cast<double>(c);
  }
};

}  // namespace nnplug::losses
