#pragma once
// One element of Lion's step (lion.cpp), from the op's attributes. Plain arithmetic, without nnplug's headers, so
// that nvcc compiles it into the CUDA kernel (lion_step.cu) as g++ into the CPU kernel.
#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct LionStep {
  double lr, beta1, beta2, weight_decay;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit LionStep(const Attributes& a)
      : lr(a.number("lr")), beta1(a.number("beta1")), beta2(a.number("beta2")), weight_decay(a.number("weight_decay")) {}
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& exp_avg) const {
    const double m = static_cast<double>(exp_avg), p = static_cast<double>(param);
    const double c = beta1 * m + (1 - beta1) * grad;
    const double sign = c > 0 ? 1.0 : c < 0 ? -1.0 : c;  // 0 at 0; NaN stays NaN, as torch.sign
    param = static_cast<T>(p * (1 - lr * weight_decay) - lr * sign);
    exp_avg = static_cast<T>(beta2 * m + (1 - beta2) * grad);
  }
};

}  // namespace nnplug::optimizers
