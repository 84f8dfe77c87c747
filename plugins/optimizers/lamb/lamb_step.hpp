#pragma once
// One element of each of LAMB's two passes (lamb.cpp), from the ops' attributes. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernels (lamb_step.cu) as g++ into the CPU kernels.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

// Pass 1: the moments, then Adam's bias-corrected direction plus the decoupled weight decay,
//   m̂ / (sqrt(v̂) + eps) + weight_decay param.
struct LambDirection {
  double beta1, beta2, eps, weight_decay, correction1, correction2;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit LambDirection(const Attributes& a)
      : beta1(a.number("beta1")),
        beta2(a.number("beta2")),
        eps(a.number("eps")),
        weight_decay(a.number("weight_decay")),
        correction1(1 - std::pow(beta1, a.number("step"))),
        correction2(1 - std::pow(beta2, a.number("step"))) {}
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, double param, T& exp_avg, T& exp_avg_sq, T& direction) const {
    const double m = beta1 * static_cast<double>(exp_avg) + (1 - beta1) * grad;
    const double v = beta2 * static_cast<double>(exp_avg_sq) + (1 - beta2) * grad * grad;
    exp_avg = static_cast<T>(m);
    exp_avg_sq = static_cast<T>(v);
    direction = static_cast<T>(m / correction1 / (sqrt(v / correction2) + eps) + weight_decay * param);
  }
};

// Pass 2: the step along the direction, lr times the trust ratio ||param|| / ||direction||, from the two sums of
// squares. The ratio is 1 where either norm is 0, as Keras's Lamb takes it: a parameter still all zeros (a bias)
// moves by lr, as Adam's would.
struct LambTrustStep {
  double lr;
  template <typename Attributes>
  explicit LambTrustStep(const Attributes& a) : lr(a.number("lr")) {}
  NNPLUG_HOST_DEVICE double scale(double param_squares, double direction_squares) const {
    return param_squares > 0 && direction_squares > 0 ? lr * sqrt(param_squares / direction_squares) : lr;
  }
  template <typename T>
  NNPLUG_HOST_DEVICE static void apply(double scale, double direction, T& param) {
    param = static_cast<T>(static_cast<double>(param) - scale * direction);
  }
};

}  // namespace nnplug::optimizers
