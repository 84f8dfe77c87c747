#pragma once
// One element of LARS's step (lars.cpp), from the op's attributes and the parameter's and gradient's sums of
// squares. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernel (lars_step.cu)
// as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct LarsStep {
  double lr, momentum, dampening, weight_decay, trust_coefficient, eps;
  bool nesterov, trust_clip, adapt, first;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit LarsStep(const Attributes& a)
      : lr(a.number("lr")),
        momentum(a.number("momentum")),
        dampening(a.number("dampening")),
        weight_decay(a.number("weight_decay")),
        trust_coefficient(a.number("trust_coefficient")),
        eps(a.number("eps")),
        nesterov(a.flag("nesterov")),
        trust_clip(a.flag("trust_clip")),
        adapt(a.flag("adapt")),
        first(a.flag("first")) {}
  // trust_coefficient ||w|| / (||g|| + weight_decay ||w|| + eps), 1 where either norm is 0 or without adapting; with
  // trust_clip, NVIDIA's LARC, the rate it gives is at most lr.
  NNPLUG_HOST_DEVICE double trust_ratio(double param_squares, double grad_squares) const {
    if (!adapt || !(param_squares > 0 && grad_squares > 0)) return 1.0;
    const double w = sqrt(param_squares);
    const double ratio = trust_coefficient * w / (sqrt(grad_squares) + weight_decay * w + eps);
    if (!trust_clip) return ratio;
    return ratio / lr < 1.0 ? ratio / lr : 1.0;  // min(ratio / lr, 1)
  }
  // torch.optim.SGD's momentum (the buffer starts as the first step's direction) on the scaled direction.
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, double trust, T& param, T& momentum_buffer) const {
    const double p = static_cast<double>(param);
    const double d = (grad + weight_decay * p) * trust;
    double update = d;
    if (momentum != 0) {
      const double buffer = first ? d : momentum * static_cast<double>(momentum_buffer) + (1 - dampening) * d;
      momentum_buffer = static_cast<T>(buffer);
      update = nesterov ? d + momentum * buffer : buffer;
    }
    param = static_cast<T>(p - lr * update);
  }
};

}  // namespace nnplug::optimizers
