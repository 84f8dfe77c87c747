#pragma once
// One element of Adamax's step (adamax.cpp), from the op's attributes. Plain arithmetic, without nnplug's headers, so
// that nvcc compiles it into the CUDA kernel (adamax_step.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct AdamaxStep {
  double beta1, beta2, eps, weight_decay, step_size;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit AdamaxStep(const Attributes& a)
      : beta1(a.number("beta1")),
        beta2(a.number("beta2")),
        eps(a.number("eps")),
        weight_decay(a.number("weight_decay")),
        step_size(a.number("lr") / (1 - std::pow(beta1, a.number("step")))) {}
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& exp_avg, T& exp_inf) const {
    const double g = grad + weight_decay * static_cast<double>(param);
    exp_avg = static_cast<T>(beta1 * static_cast<double>(exp_avg) + (1 - beta1) * g);
    const double decayed = beta2 * static_cast<double>(exp_inf), magnitude = fabs(g) + eps;
    exp_inf = static_cast<T>(decayed < magnitude ? magnitude : decayed);  // std::max(decayed, magnitude)
    param = static_cast<T>(static_cast<double>(param) - step_size * static_cast<double>(exp_avg) / static_cast<double>(exp_inf));
  }
};

}  // namespace nnplug::optimizers
