// Fused optimizer steps: one pass over each parameter tensor, reading param, grad and state once.
#include <cmath>
#include <type_traits>

#include "bfloat16.hpp"
#include "kernels.hpp"
#include "op_constants.hpp"

namespace nnplug::cpu {

namespace {

template <typename T>
struct SgdConstants {
  T lr, momentum, damp, weight_decay;
};

// Branch-free per variant, so that each loop vectorises.
template <typename T, bool kMomentum, bool kFirst, bool kNesterov>
void sgd_range(T* __restrict w, const T* __restrict g, T* __restrict v, std::int64_t begin, std::int64_t end,
               SgdConstants<T> c) {
  for (std::int64_t i = begin; i < end; ++i) {
    T d = g[i] + c.weight_decay * w[i];
    if constexpr (kMomentum) {
      v[i] = kFirst ? d : c.momentum * v[i] + c.damp * d;
      d = kNesterov ? d + c.momentum * v[i] : v[i];
    }
    w[i] -= c.lr * d;
  }
}

using backends::AdamConstants;

template <typename T, bool kAmsgrad, bool kRounded>
void adam_range(T* __restrict w, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
                std::uint16_t* __restrict rounded, std::int64_t begin, std::int64_t end, AdamConstants<T> c) {
  for (std::int64_t i = begin; i < end; ++i) {
    const T gi = g[i] + c.l2 * w[i];
    const T mi = c.beta1 * m[i] + c.one_minus_beta1 * gi;
    T vi = c.beta2 * v[i] + c.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if constexpr (kAmsgrad) vi = vmax[i] = vmax[i] > vi ? vmax[i] : vi;
    w[i] = w[i] * c.decay - c.step_size * mi / (std::sqrt(vi) * c.inv_sqrt_bias2 + c.eps);
    if constexpr (kRounded) rounded[i] = backends::to_bfloat16(w[i]);
  }
}

}  // namespace

void run_kernel(const op::SgdStep& o) {
  kChecks.like_param(o.param, "sgd_step", o.grad);
  const bool momentum = o.momentum != 0.0;
  if (momentum) kChecks.like_param(o.param, "sgd_step", o.velocity);
  with_float_type(o.param, "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    T* w = o.param.data<T>();
    const T* g = o.grad.data<T>();
    T* v = momentum ? o.velocity.data<T>() : nullptr;
    const SgdConstants<T> c{static_cast<T>(o.lr), static_cast<T>(o.momentum), static_cast<T>(1.0 - o.dampening),
                            static_cast<T>(o.weight_decay)};
    parallel_chunks(o.param.numel(), [=](std::int64_t b, std::int64_t e) {
      if (!momentum) sgd_range<T, false, false, false>(w, g, v, b, e, c);
      else if (o.first_step) o.nesterov ? sgd_range<T, true, true, true>(w, g, v, b, e, c) : sgd_range<T, true, true, false>(w, g, v, b, e, c);
      else o.nesterov ? sgd_range<T, true, false, true>(w, g, v, b, e, c) : sgd_range<T, true, false, false>(w, g, v, b, e, c);
    }, kParallelUpdateThreshold);
  });
}

void run_kernel(const op::AdamStep& o, std::uint16_t* rounded_param) {
  kChecks.adam_step(o);
  with_float_type(o.param, "adam_step", [&](auto tag) {
    using T = decltype(tag);
    const auto c = AdamConstants<T>::of(o);
    T* w = o.param.data<T>();
    const T* g = o.grad.data<T>();
    T* m = o.m.data<T>();
    T* v = o.v.data<T>();
    T* vmax = o.amsgrad ? o.v_max.data<T>() : nullptr;
    std::uint16_t* rounded = std::is_same_v<T, float> ? rounded_param : nullptr;
    parallel_chunks(o.param.numel(), [=](std::int64_t b, std::int64_t e) {
      if (rounded) o.amsgrad ? adam_range<T, true, true>(w, g, m, v, vmax, rounded, b, e, c) : adam_range<T, false, true>(w, g, m, v, vmax, rounded, b, e, c);
      else if (o.amsgrad) adam_range<T, true, false>(w, g, m, v, vmax, rounded, b, e, c);
      else adam_range<T, false, false>(w, g, m, v, vmax, rounded, b, e, c);
    }, kParallelUpdateThreshold);
  });
}

namespace {
// Each step's loop in a function of its own whose restrict-qualified pointers are its locals: captured by the
// parallel lambda, they lose the qualifier, and the loop ran scalar.
template <typename T>
void adagrad_range(const op::AdagradStep& o, std::int64_t b, std::int64_t e) {
  T* __restrict w = o.param.data<T>();
  const T* __restrict g = o.grad.data<T>();
  T* __restrict sum = o.sum.data<T>();
  const T lr = static_cast<T>(o.lr / (1.0 + static_cast<double>(o.step - 1) * o.lr_decay));
  const T eps = static_cast<T>(o.eps), wd = static_cast<T>(o.weight_decay);
  for (std::int64_t i = b; i < e; ++i) {
    const T gi = g[i] + wd * w[i];
    sum[i] += gi * gi;
    w[i] -= lr * gi / (std::sqrt(sum[i]) + eps);
  }
}

template <typename T>
void adadelta_range(const op::AdadeltaStep& o, std::int64_t b, std::int64_t e) {
  T* __restrict w = o.param.data<T>();
  const T* __restrict g = o.grad.data<T>();
  T* __restrict sq = o.square_avg.data<T>();
  T* __restrict acc = o.acc_delta.data<T>();
  const T lr = static_cast<T>(o.lr), rho = static_cast<T>(o.rho), eps = static_cast<T>(o.eps);
  const T one_minus_rho = static_cast<T>(1.0 - o.rho);  // in double, as PyTorch's value=1 - rho
  const T wd = static_cast<T>(o.weight_decay);
  for (std::int64_t i = b; i < e; ++i) {
    const T gi = g[i] + wd * w[i];
    sq[i] = rho * sq[i] + one_minus_rho * gi * gi;
    const T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * gi;
    acc[i] = rho * acc[i] + one_minus_rho * delta * delta;
    w[i] -= lr * delta;
  }
}
}  // namespace

void run_kernel(const op::AdagradStep& o) {
  kChecks.step_count(o.step, "adagrad_step");
  kChecks.like_param(o.param, "adagrad_step", o.grad, o.sum);
  with_float_type(o.param, "adagrad_step", [&](auto tag) {
    using T = decltype(tag);
    parallel_chunks(o.param.numel(), [&](std::int64_t b, std::int64_t e) { adagrad_range<T>(o, b, e); }, kParallelUpdateThreshold);
  });
}

namespace {
template <typename T, bool kCentered, bool kMomentum>
void rmsprop_range(const op::RmspropStep& o, std::int64_t b, std::int64_t e) {
  T* __restrict w = o.param.data<T>();
  const T* __restrict g = o.grad.data<T>();
  T* __restrict sq = o.square_avg.data<T>();
  T* __restrict ga = kCentered ? o.grad_avg.data<T>() : nullptr;
  T* __restrict buf = kMomentum ? o.buf.data<T>() : nullptr;
  const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha), eps = static_cast<T>(o.eps);
  const T one_minus_alpha = static_cast<T>(1.0 - o.alpha);  // in double, as PyTorch's value=1 - alpha
  const T wd = static_cast<T>(o.weight_decay), mu = static_cast<T>(o.momentum);
  for (std::int64_t i = b; i < e; ++i) {
    const T gi = g[i] + wd * w[i];
    sq[i] = alpha * sq[i] + one_minus_alpha * gi * gi;
    T denom;
    if constexpr (kCentered) {
      ga[i] = alpha * ga[i] + one_minus_alpha * gi;
      denom = std::sqrt(sq[i] - ga[i] * ga[i]) + eps;
    } else {
      denom = std::sqrt(sq[i]) + eps;
    }
    if constexpr (kMomentum) {
      buf[i] = mu * buf[i] + gi / denom;
      w[i] -= lr * buf[i];
    } else {
      w[i] -= lr * gi / denom;
    }
  }
}
}  // namespace

void run_kernel(const op::RmspropStep& o) {
  kChecks.rmsprop_step(o);
  const bool momentum = o.momentum > 0.0;
  with_float_type(o.param, "rmsprop_step", [&](auto tag) {
    using T = decltype(tag);
    parallel_chunks(o.param.numel(), [=](std::int64_t b, std::int64_t e) {
      if (o.centered) momentum ? rmsprop_range<T, true, true>(o, b, e) : rmsprop_range<T, true, false>(o, b, e);
      else momentum ? rmsprop_range<T, false, true>(o, b, e) : rmsprop_range<T, false, false>(o, b, e);
    }, kParallelUpdateThreshold);
  });
}

void run_kernel(const op::AdadeltaStep& o) {
  kChecks.like_param(o.param, "adadelta_step", o.grad, o.square_avg, o.acc_delta);
  with_float_type(o.param, "adadelta_step", [&](auto tag) {
    using T = decltype(tag);
    parallel_chunks(o.param.numel(), [&](std::int64_t b, std::int64_t e) { adadelta_range<T>(o, b, e); }, kParallelUpdateThreshold);
  });
}

}  // namespace nnplug::cpu
