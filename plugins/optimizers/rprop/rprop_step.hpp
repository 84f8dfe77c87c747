#pragma once
// One element of Rprop's step (rprop.cpp), from the op's attributes, as torch.optim.Rprop takes it. Plain arithmetic,
// without nnplug's headers, so that nvcc compiles it into the CUDA kernel (rprop_step.cu) as g++ into the CPU kernel.
#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct RpropStep {
  double lr, etaminus, etaplus, step_size_min, step_size_max;
  bool first;  // step 1: the step sizes start at lr (their slot is still zeros)
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit RpropStep(const Attributes& a)
      : lr(a.number("lr")),
        etaminus(a.number("etaminus")),
        etaplus(a.number("etaplus")),
        step_size_min(a.number("step_size_min")),
        step_size_max(a.number("step_size_max")),
        first(a.number("step") <= 1) {}
  // The product is taken in T, as PyTorch takes it in the parameter's dtype: a float32 product that underflows to 0
  // keeps the step size, as there.
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& prev, T& step_size) const {
    const T product = static_cast<T>(grad) * prev;
    const double factor = product > 0 ? etaplus : product < 0 ? etaminus : 1.0;
    double size = (first ? lr : static_cast<double>(step_size)) * factor;
    size = size < step_size_min ? step_size_min : size > step_size_max ? step_size_max : size;
    const double g = product < 0 ? 0.0 : grad;  // after a change of sign, no step and no sign to compare next time
    param = static_cast<T>(static_cast<double>(param) - (g > 0 ? size : g < 0 ? -size : 0.0));
    step_size = static_cast<T>(size);
    prev = static_cast<T>(g);
  }
};

}  // namespace nnplug::optimizers
