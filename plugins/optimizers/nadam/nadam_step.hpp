#pragma once
// One element of NAdam's step (nadam.cpp), from the op's attributes: mu_t, mu_{t+1}, prod_t and t. Plain arithmetic,
// without nnplug's headers, so that nvcc compiles it into the CUDA kernel (nadam_step.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct NadamStep {
  double lr, beta1, beta2, eps, weight_decay, grad_factor, avg_factor, bias_correction2;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit NadamStep(const Attributes& a)
      : lr(a.number("lr")),
        beta1(a.number("beta1")),
        beta2(a.number("beta2")),
        eps(a.number("eps")),
        weight_decay(a.number("weight_decay")),
        grad_factor(lr * (1 - a.number("mu")) / (1 - a.number("mu_product"))),
        avg_factor(lr * a.number("mu_next") / (1 - a.number("mu_product") * a.number("mu_next"))),
        bias_correction2(1 - std::pow(beta2, a.number("step"))) {}
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& exp_avg, T& exp_avg_sq) const {
    const double g = grad + weight_decay * static_cast<double>(param);
    exp_avg = static_cast<T>(beta1 * static_cast<double>(exp_avg) + (1 - beta1) * g);
    exp_avg_sq = static_cast<T>(beta2 * static_cast<double>(exp_avg_sq) + (1 - beta2) * g * g);
    const double denominator = sqrt(static_cast<double>(exp_avg_sq) / bias_correction2) + eps;
    param = static_cast<T>(static_cast<double>(param) - (grad_factor * g + avg_factor * static_cast<double>(exp_avg)) / denominator);
  }
};

}  // namespace nnplug::optimizers
