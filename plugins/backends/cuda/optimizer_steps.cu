// Fused optimizer steps: one kernel per parameter tensor per step, reading param, grad and state once, with
// torch.optim's update rules (see ops.hpp). The flags are uniform across a launch, so their branches cost nothing.
// The learning rate (with Adam's bias corrections) is a live value, which a replayed step graph refills.
#include <cmath>

#include "grid_loop.cuh"
#include "kernels.hpp"
#include "live_values.hpp"
#include "op_constants.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void sgd_kernel(T* w, const T* g, T* v, std::int64_t n, Live<RateAndMomentum<T>> live, T damp, T weight_decay, bool first,
                           bool nesterov) {
  const auto [lr, momentum] = live.get();
  NNPLUG_GRID_LOOP(i, n) {
    T d = g[i] + weight_decay * w[i];
    if (v && momentum != T(0)) {
      v[i] = first ? d : momentum * v[i] + damp * d;
      d = nesterov ? d + momentum * v[i] : v[i];
    }
    w[i] -= lr * d;
  }
}

using backends::AdamConstants;

template <typename T>
__global__ void adam_kernel(T* w, const T* g, T* m, T* v, T* vmax, std::int64_t n, Live<AdamConstants<T>> live) {
  const AdamConstants<T> c = live.get();
  NNPLUG_GRID_LOOP(i, n) {
    const T gi = g[i] + c.l2 * w[i];
    const T mi = c.beta1 * m[i] + c.one_minus_beta1 * gi;
    T vi = c.beta2 * v[i] + c.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (vmax) vi = vmax[i] = vmax[i] > vi ? vmax[i] : vi;
    w[i] = w[i] * c.decay - c.step_size * mi / (sqrt(vi) * c.inv_sqrt_bias2 + c.eps);
  }
}

template <typename T>
__global__ void adagrad_kernel(T* w, const T* g, T* sum, std::int64_t n, Live<T> live_lr, T eps, T wd) {
  const T lr = live_lr.get();
  NNPLUG_GRID_LOOP(i, n) {
    const T gi = g[i] + wd * w[i];
    sum[i] += gi * gi;
    w[i] -= lr * gi / (sqrt(sum[i]) + eps);
  }
}

template <typename T>
__global__ void rmsprop_kernel(T* w, const T* g, T* sq, T* ga, T* buf, std::int64_t n, Live<RateAndMomentum<T>> live, T alpha,
                               T one_minus_alpha, T eps, T wd) {
  const auto [lr, mu] = live.get();
  NNPLUG_GRID_LOOP(i, n) {
    const T gi = g[i] + wd * w[i];
    sq[i] = alpha * sq[i] + one_minus_alpha * gi * gi;
    T denom;
    if (ga) {
      ga[i] = alpha * ga[i] + one_minus_alpha * gi;
      denom = sqrt(sq[i] - ga[i] * ga[i]) + eps;
    } else {
      denom = sqrt(sq[i]) + eps;
    }
    if (buf && mu > T(0)) {
      buf[i] = mu * buf[i] + gi / denom;
      w[i] -= lr * buf[i];
    } else {
      w[i] -= lr * gi / denom;
    }
  }
}

template <typename T>
__global__ void adadelta_kernel(T* w, const T* g, T* sq, T* acc, std::int64_t n, Live<T> live_lr, T rho, T one_minus_rho, T eps, T wd) {
  const T lr = live_lr.get();
  NNPLUG_GRID_LOOP(i, n) {
    const T gi = g[i] + wd * w[i];
    sq[i] = rho * sq[i] + one_minus_rho * gi * gi;
    const T delta = sqrt(acc[i] + eps) / sqrt(sq[i] + eps) * gi;
    acc[i] = rho * acc[i] + one_minus_rho * delta * delta;
    w[i] -= lr * delta;
  }
}

}  // namespace

void run_kernel(const op::SgdStep& o, DeviceContext& ctx) {
  kChecks.like_param(o.param, "sgd_step", o.grad);
  if (o.momentum != 0.0) kChecks.like_param(o.param, "sgd_step", o.velocity);
  with_float_type(o.param, "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    sgd_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(
        // The buffer whenever there is one: a replayed step may bring a momentum of 0 or not (live_values.hpp).
        o.param.data<T>(), o.grad.data<T>(), o.velocity.defined() ? o.velocity.data<T>() : nullptr, n, ctx.live(live_value<T>(o)),
        static_cast<T>(1.0 - o.dampening), static_cast<T>(o.weight_decay), o.first_step, o.nesterov);
  });
  check_launch("sgd_step");
}

void run_kernel(const op::AdamStep& o, DeviceContext& ctx) {
  kChecks.adam_step(o);
  with_float_type(o.param, "adam_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    adam_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.param.data<T>(), o.grad.data<T>(), o.m.data<T>(), o.v.data<T>(),
                                                                  o.amsgrad ? o.v_max.data<T>() : nullptr, n, ctx.live(live_value<T>(o)));
  });
  check_launch("adam_step");
}

void run_kernel(const op::AdagradStep& o, DeviceContext& ctx) {
  kChecks.step_count(o.step, "adagrad_step");
  kChecks.like_param(o.param, "adagrad_step", o.grad, o.sum);
  with_float_type(o.param, "adagrad_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    adagrad_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.param.data<T>(), o.grad.data<T>(), o.sum.data<T>(), n,
                                                                     ctx.live(live_value<T>(o)),
                                                                     static_cast<T>(o.eps), static_cast<T>(o.weight_decay));
  });
  check_launch("adagrad_step");
}

void run_kernel(const op::RmspropStep& o, DeviceContext& ctx) {
  kChecks.rmsprop_step(o);
  with_float_type(o.param, "rmsprop_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    rmsprop_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(
        o.param.data<T>(), o.grad.data<T>(), o.square_avg.data<T>(), o.centered ? o.grad_avg.data<T>() : nullptr,
        o.buf.defined() ? o.buf.data<T>() : nullptr, n, ctx.live(live_value<T>(o)), static_cast<T>(o.alpha),
        static_cast<T>(1.0 - o.alpha), static_cast<T>(o.eps), static_cast<T>(o.weight_decay));
  });
  check_launch("rmsprop_step");
}

void run_kernel(const op::AdadeltaStep& o, DeviceContext& ctx) {
  kChecks.like_param(o.param, "adadelta_step", o.grad, o.square_avg, o.acc_delta);
  with_float_type(o.param, "adadelta_step", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.param.numel();
    adadelta_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.param.data<T>(), o.grad.data<T>(), o.square_avg.data<T>(),
                                                                      o.acc_delta.data<T>(), n, ctx.live(live_value<T>(o)), static_cast<T>(o.rho),
                                                                      static_cast<T>(1.0 - o.rho), static_cast<T>(o.eps), static_cast<T>(o.weight_decay));
  });
  check_launch("adadelta_step");
}

}  // namespace nnplug::cuda
