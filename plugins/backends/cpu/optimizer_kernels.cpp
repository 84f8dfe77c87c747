// Fused optimizer steps: one pass over each parameter tensor, reading param, grad and state once.
#include <cmath>

#include "kernels.hpp"

namespace nnplug::cpu {

void run_kernel(const op::SgdStep& o) {
  require_same_count(o.param, o.grad, "sgd_step");
  const bool use_momentum = o.momentum != 0.0;
  if (use_momentum) require_same_count(o.param, o.velocity, "sgd_step");
  with_float_type(o.param, "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    T* w = o.param.data<T>();
    const T* g = o.grad.data<T>();
    T* v = use_momentum ? o.velocity.data<T>() : nullptr;
    const T lr = static_cast<T>(o.lr), mu = static_cast<T>(o.momentum), wd = static_cast<T>(o.weight_decay);
    const T damp = T(1) - static_cast<T>(o.dampening);
    const bool first = o.first_step, nesterov = o.nesterov;
#pragma omp parallel for simd schedule(static) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) {
      T d = g[i] + wd * w[i];
      if (v) {
        v[i] = first ? d : mu * v[i] + damp * d;
        d = nesterov ? d + mu * v[i] : v[i];
      }
      w[i] -= lr * d;
    }
  });
}

void run_kernel(const op::AdamStep& o) {
  require(o.step >= 1, "adam_step", "step must be >= 1, got " + std::to_string(o.step));
  require_same_count(o.param, o.grad, "adam_step");
  require_same_count(o.param, o.m, "adam_step");
  require_same_count(o.param, o.v, "adam_step");
  if (o.amsgrad) require_same_count(o.param, o.v_max, "adam_step");
  with_float_type(o.param, "adam_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    T* w = o.param.data<T>();
    const T* g = o.grad.data<T>();
    T* m = o.m.data<T>();
    T* v = o.v.data<T>();
    T* vmax = o.amsgrad ? o.v_max.data<T>() : nullptr;
    const double bias1 = 1.0 - std::pow(o.beta1, static_cast<double>(o.step));
    const double bias2 = 1.0 - std::pow(o.beta2, static_cast<double>(o.step));
    const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2), eps = static_cast<T>(o.eps);
    const T step_size = static_cast<T>(o.lr / bias1), inv_sqrt_bias2 = static_cast<T>(1.0 / std::sqrt(bias2));
    // AdamW decays the weights directly; Adam adds the decay to the gradient (L2), both as in PyTorch.
    const T decay = o.decoupled_weight_decay ? static_cast<T>(1.0 - o.lr * o.weight_decay) : T(1);
    const T l2 = o.decoupled_weight_decay ? T(0) : static_cast<T>(o.weight_decay);
#pragma omp parallel for simd schedule(static) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) {
      const T wi = w[i] * decay;
      const T gi = g[i] + l2 * w[i];
      m[i] = b1 * m[i] + (T(1) - b1) * gi;
      v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
      T vi = v[i];
      if (vmax) vi = vmax[i] = vmax[i] > vi ? vmax[i] : vi;
      w[i] = wi - step_size * m[i] / (std::sqrt(vi) * inv_sqrt_bias2 + eps);
    }
  });
}

}  // namespace nnplug::cpu
