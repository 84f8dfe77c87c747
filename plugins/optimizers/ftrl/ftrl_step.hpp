#pragma once
// One element of FTRL-Proximal's step (ftrl.cpp), from the op's attributes. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernel (ftrl_step.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct FtrlStep {
  // l2 is the stabilising strength with beta folded in (l2 + beta / (2 lr)), as Keras hands it to TensorFlow's kernel.
  double lr, lr_power, l1, l2, l2_shrinkage;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit FtrlStep(const Attributes& a)
      : lr(a.number("lr")), lr_power(a.number("lr_power")), l1(a.number("l1")), l2(a.number("l2")), l2_shrinkage(a.number("l2_shrinkage")) {}

  // n^-lr_power, a square root at the default power (as TensorFlow's kernel special-cases it: pow is far slower).
  NNPLUG_HOST_DEVICE double power(double n) const { return lr_power == -0.5 ? sqrt(n) : pow(n, -lr_power); }

  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& linear, T& accumulator) const {
    const double w = static_cast<double>(param), n = static_cast<double>(accumulator) + grad * grad;
    const double q = power(n) / lr + 2 * l2;
    // A weight of 0 adds the gradient to the linear term, as Keras's step does. Any other weight came from the closed
    // form, w = (sign(z) l1 - z) / q_before, and Keras's new z, z + g - (q - q_before) w at a constant rate, is then
    // g - q w - sign(w) l1 (shrinkage aside): no earlier rate is needed, and the weights a start or a constraint gave
    // are kept.
    const double z = w == 0 ? static_cast<double>(linear) + grad : grad + (2 * l2_shrinkage - q) * w - (w > 0 ? l1 : -l1);
    // Within l1 of 0 the weight is 0 (the L1 penalty's sparsity); where nothing has accumulated and there is no l2
    // (q = 0), the closed form says nothing, and the weight stays.
    if (fabs(z) <= l1) param = static_cast<T>(0);
    else if (q > 0) param = static_cast<T>(((z > 0 ? l1 : -l1) - z) / q);
    linear = static_cast<T>(z);
    accumulator = static_cast<T>(n);
  }
};

}  // namespace nnplug::optimizers
