#pragma once
// One element of FTRL-Proximal's step (ftrl.cpp), from the op's attributes. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernel (ftrl_step.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct FtrlStep {
  // l2 is the stabilising strength with beta folded in (l2 + beta / (2 lr)), as Keras hands it to TensorFlow's kernel.
  double lr, lr_power, l1, l2, l2_shrinkage;
  bool start;  // the first step: linear is set first to the value from which the closed form returns the weight
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit FtrlStep(const Attributes& a)
      : lr(a.number("lr")),
        lr_power(a.number("lr_power")),
        l1(a.number("l1")),
        l2(a.number("l2")),
        l2_shrinkage(a.number("l2_shrinkage")),
        start(a.number("start") != 0) {}

  // n^-lr_power, a square root at the default power (as TensorFlow's kernel special-cases it: pow is far slower).
  NNPLUG_HOST_DEVICE double power(double n) const { return lr_power == -0.5 ? sqrt(n) : pow(n, -lr_power); }

  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& linear, T& accumulator) const {
    const double w = static_cast<double>(param), n = static_cast<double>(accumulator), n_new = n + grad * grad;
    const double before = power(n), after = power(n_new);
    double z = static_cast<double>(linear);
    if (start) z = -(before / lr + 2 * l2) * w - (w > 0 ? l1 : w < 0 ? -l1 : 0.0);
    z += grad + 2 * l2_shrinkage * w - (after - before) / lr * w;
    const double q = after / lr + 2 * l2;
    // Within l1 of 0 the weight is 0 (the L1 penalty's sparsity); where nothing has accumulated and there is no l2
    // (q = 0), the closed form says nothing, and the weight stays.
    if (fabs(z) <= l1) param = static_cast<T>(0);
    else if (q > 0) param = static_cast<T>(((z > 0 ? l1 : -l1) - z) / q);
    linear = static_cast<T>(z);
    accumulator = static_cast<T>(n_new);
  }
};

}  // namespace nnplug::optimizers
