// Element-wise activations and their gradients, with PyTorch's definitions and derivatives at kinks.
#include "grid_loop.cuh"
#include "kernels.hpp"
#include "op_constants.hpp"
#include "sigmoid.cuh"

namespace nnplug::cuda {

namespace {

using namespace backends;  // the activations' constants

template <typename T>
__device__ T activate(Pointwise fn, T alpha, T x) {
  switch (fn) {
    case Pointwise::Identity: return x;
    case Pointwise::Relu: return x < T(0) ? T(0) : x;  // a NaN stays NaN, as the CPU backend's std::max and PyTorch's relu keep it
    case Pointwise::LeakyRelu: return x > T(0) ? x : alpha * x;
    case Pointwise::Elu: return x > T(0) ? x : alpha * expm1(x);
    case Pointwise::Selu: return T(kSeluScale) * (x > T(0) ? x : T(kSeluAlpha) * expm1(x));
    case Pointwise::Sigmoid: return sigmoid(x);
    case Pointwise::Tanh: return tanh(x);
    case Pointwise::Silu: return x * sigmoid(x);
    case Pointwise::Gelu: return T(0.5) * x * (T(1) + erf(x * T(kInvSqrt2)));
    case Pointwise::Softplus: return alpha * x > T(kSoftplusThreshold) ? x : log1p(exp(alpha * x)) / alpha;
    case Pointwise::Relu6: return x < T(0) ? T(0) : x > T(6) ? T(6) : x;
    case Pointwise::HardSigmoid: return x <= T(-3) ? T(0) : x >= T(3) ? T(1) : (x + T(3)) / T(6);
    case Pointwise::Softsign: return x / (T(1) + abs(x));
    case Pointwise::Celu: return x > T(0) ? x : alpha * expm1(x / alpha);
    case Pointwise::HardSwish: return x * min(max(x + T(3), T(0)), T(6)) / T(6);
    case Pointwise::LogSigmoid: return (x < T(0) ? x : T(0)) - log1p(exp(-abs(x)));
    case Pointwise::TanhShrink: return x - tanh(x);
    case Pointwise::SoftShrink: return x > alpha ? x - alpha : x < -alpha ? x + alpha : T(0);
    case Pointwise::HardShrink: return x > alpha || x < -alpha ? x : T(0);
  }
  return x;
}

// f'(x) dy from x or y = f(x), whichever the CPU backend uses, so both round alike.
template <typename T>
__device__ T activate_grad(Pointwise fn, T alpha, T x, T y, T dy) {
  switch (fn) {
    case Pointwise::Identity: return dy;
    case Pointwise::Relu: return x > T(0) ? dy : T(0);
    case Pointwise::LeakyRelu: return x > T(0) ? dy : alpha * dy;
    case Pointwise::Elu: return x > T(0) ? dy : dy * (y + alpha);
    case Pointwise::Selu: return x > T(0) ? T(kSeluScale) * dy : dy * (y + T(kSeluScale * kSeluAlpha));
    case Pointwise::Sigmoid: return dy * y * (T(1) - y);
    case Pointwise::Tanh: return dy * (T(1) - y * y);
    case Pointwise::Silu: {
      const T s = sigmoid(x);
      return dy * s * (T(1) + x * (T(1) - s));
    }
    case Pointwise::Gelu:
      return dy * (T(0.5) * (T(1) + erf(x * T(kInvSqrt2))) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x));
    case Pointwise::Softplus: return alpha * x > T(kSoftplusThreshold) ? dy : dy * sigmoid(alpha * x);
    case Pointwise::Relu6: return x > T(0) && x < T(6) ? dy : T(0);
    case Pointwise::HardSigmoid: return x > T(-3) && x < T(3) ? dy / T(6) : T(0);
    case Pointwise::Softsign: {
      const T d = T(1) + abs(x);
      return dy / (d * d);
    }
    case Pointwise::Celu: return x > T(0) ? dy : dy * exp(x / alpha);
    case Pointwise::HardSwish: return x < T(-3) ? T(0) : x <= T(3) ? dy * (x / T(3) + T(0.5)) : dy;
    case Pointwise::LogSigmoid: return dy * sigmoid(-x);
    case Pointwise::TanhShrink: {
      const T t = tanh(x);
      return dy * t * t;
    }
    case Pointwise::SoftShrink:
    case Pointwise::HardShrink: return x > alpha || x < -alpha ? dy : T(0);
  }
  return dy;
}

template <typename T>
__global__ void activation_kernel(Pointwise fn, T alpha, const T* x, T* y, std::int64_t n) {
  NNPLUG_GRID_LOOP(i, n) y[i] = activate(fn, alpha, x[i]);
}

template <typename T>
__global__ void activation_grad_kernel(Pointwise fn, T alpha, const T* x, const T* y, const T* dy, T* dx, std::int64_t n) {
  NNPLUG_GRID_LOOP(i, n) dx[i] = activate_grad(fn, alpha, x ? x[i] : T(0), y ? y[i] : T(0), dy[i]);
}

}  // namespace

void run_kernel(const op::Activation& o, DeviceContext& ctx) {
  require_same_count(o.x, o.y, "activation");
  with_float_type(o.y, "activation", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    activation_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.fn, static_cast<T>(pointwise_alpha(o.fn, o.alpha)), o.x.data<T>(), o.y.data<T>(), n);
  });
  check_launch("activation");
}

void run_kernel(const op::ActivationGrad& o, DeviceContext& ctx) {
  kChecks.activation_grad(o);
  with_float_type(o.dx, "activation_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.dx.numel();
    const T* x = o.x.defined() ? o.x.data<T>() : nullptr;
    const T* y = o.y.defined() ? o.y.data<T>() : nullptr;
    activation_grad_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.fn, static_cast<T>(pointwise_alpha(o.fn, o.alpha)), x, y, o.dy.data<T>(),
                                                                             o.dx.data<T>(), n);
  });
  check_launch("activation_grad");
}

}  // namespace nnplug::cuda
