// Element-wise activations and the row softmax.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels.hpp"
#include "op_constants.hpp"
#include "vector_activations.hpp"

namespace nnplug::cpu {

namespace {

// Each function is a plain loop per case, so that it vectorises where the compiler can: the chunk lambdas capture
// the pointers by value (captured by reference, they were reloaded after every store, which may alias them, and the
// loops stayed scalar), and every input is loaded unconditionally so that a select, not a branch, picks the value
// (ReLU's gradient branched on the sign and ran at a quarter of memory speed). A loop that calls libm stays scalar,
// so in float32 those functions run vector_activations.hpp's Eigen forms. Definitions and the derivative at kinks
// follow PyTorch.
using namespace backends;  // the activations' constants

template <typename T>
T sigmoid(T x) {
  // Exact in IEEE arithmetic at both ends: e^-x overflows to inf and gives 0.
  return T(1) / (T(1) + std::exp(-x));
}

// y[i] = f(x[i]) for i in [b, e).
template <typename T>
void activate_range(Pointwise fn, T alpha, const T* __restrict x, T* y, std::int64_t b, std::int64_t e) {
  if constexpr (std::is_same_v<T, float>)
    if (vector_activations::activate(fn, alpha, x + b, y + b, e - b)) return;
  switch (fn) {
    case Pointwise::Identity:
      if (x != y) std::copy(x + b, x + e, y + b);
      return;
    case Pointwise::Relu:
      for (std::int64_t i = b; i < e; ++i) y[i] = std::max(x[i], T(0));
      return;
    case Pointwise::LeakyRelu:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] > T(0) ? x[i] : alpha * x[i];
      return;
    case Pointwise::Elu:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i]);
      return;
    case Pointwise::Selu:
      for (std::int64_t i = b; i < e; ++i)
        y[i] = T(kSeluScale) * (x[i] > T(0) ? x[i] : T(kSeluAlpha) * std::expm1(x[i]));
      return;
    case Pointwise::Sigmoid:
      for (std::int64_t i = b; i < e; ++i) y[i] = sigmoid(x[i]);
      return;
    case Pointwise::Tanh:
      for (std::int64_t i = b; i < e; ++i) y[i] = std::tanh(x[i]);
      return;
    case Pointwise::Silu:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] * sigmoid(x[i]);
      return;
    case Pointwise::Gelu:  // the exact form, PyTorch's default: x * Phi(x)
      for (std::int64_t i = b; i < e; ++i) y[i] = T(0.5) * x[i] * (T(1) + std::erf(x[i] * T(kInvSqrt2)));
      return;
    case Pointwise::Softplus:  // log(1 + e^(beta x)) / beta, linear above the threshold
      for (std::int64_t i = b; i < e; ++i)
        y[i] = alpha * x[i] > T(kSoftplusThreshold) ? x[i] : std::log1p(std::exp(alpha * x[i])) / alpha;
      return;
    case Pointwise::Relu6:
      for (std::int64_t i = b; i < e; ++i) y[i] = std::min(std::max(x[i], T(0)), T(6));
      return;
    case Pointwise::HardSigmoid:
      for (std::int64_t i = b; i < e; ++i) y[i] = std::min(std::max(x[i] + T(3), T(0)), T(6)) / T(6);
      return;
    case Pointwise::Softsign:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] / (T(1) + std::abs(x[i]));
      return;
    case Pointwise::Celu:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i] / alpha);
      return;
    case Pointwise::HardSwish:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] * std::min(std::max(x[i] + T(3), T(0)), T(6)) / T(6);
      return;
    case Pointwise::LogSigmoid:  // min(x, 0) - log(1 + e^-|x|): no overflow at either end
      for (std::int64_t i = b; i < e; ++i) y[i] = std::min(x[i], T(0)) - std::log1p(std::exp(-std::abs(x[i])));
      return;
    case Pointwise::TanhShrink:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] - std::tanh(x[i]);
      return;
    case Pointwise::SoftShrink:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] > alpha ? x[i] - alpha : x[i] < -alpha ? x[i] + alpha : T(0);
      return;
    case Pointwise::HardShrink:
      for (std::int64_t i = b; i < e; ++i) y[i] = x[i] > alpha || x[i] < -alpha ? x[i] : T(0);
      return;
  }
}

template <typename T>
void activate(Pointwise fn, T alpha, const T* x, T* y, std::int64_t n) {
  parallel_chunks(n, [=](std::int64_t b, std::int64_t e) { activate_range(fn, alpha, x, y, b, e); });
}

template <typename T>
void activate_grad(Pointwise fn, T alpha, const T* __restrict x, const T* __restrict y, const T* dy, T* dx,
                   std::uint16_t* rounded_dx, std::int64_t n) {
  parallel_chunks(n, [=](std::int64_t b, std::int64_t e) {
    bool vectorised = false;
    if constexpr (std::is_same_v<T, float>)
      vectorised = vector_activations::activate_grad(fn, alpha, x ? x + b : nullptr, dy + b, dx + b, e - b);
    if (!vectorised) switch (fn) {
      case Pointwise::Identity:
        if (dy != dx) std::copy(dy + b, dy + e, dx + b);
        break;
      case Pointwise::Relu:  // relu'(0) = 0
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > T(0) ? g : T(0);
        }
        break;
      case Pointwise::LeakyRelu:
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > T(0) ? g : alpha * g;
        }
        break;
      case Pointwise::Elu:
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i], yi = y[i];
          dx[i] = x[i] > T(0) ? g : g * (yi + alpha);
        }
        break;
      case Pointwise::Selu:
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i], yi = y[i];
          dx[i] = x[i] > T(0) ? T(kSeluScale) * g : g * (yi + T(kSeluScale * kSeluAlpha));
        }
        break;
      case Pointwise::Sigmoid:
        for (std::int64_t i = b; i < e; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
        break;
      case Pointwise::Tanh:
        for (std::int64_t i = b; i < e; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
        break;
      case Pointwise::Silu:
        for (std::int64_t i = b; i < e; ++i) {
          const T s = sigmoid(x[i]);
          dx[i] = dy[i] * s * (T(1) + x[i] * (T(1) - s));
        }
        break;
      case Pointwise::Gelu:
        for (std::int64_t i = b; i < e; ++i)
          dx[i] = dy[i] * (T(0.5) * (T(1) + std::erf(x[i] * T(kInvSqrt2))) +
                           x[i] * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x[i] * x[i]));
        break;
      case Pointwise::Softplus:
        for (std::int64_t i = b; i < e; ++i)
          dx[i] = alpha * x[i] > T(kSoftplusThreshold) ? dy[i] : dy[i] * sigmoid(alpha * x[i]);
        break;
      case Pointwise::Relu6:  // 0 at both kinks, as PyTorch's hardtanh_backward
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > T(0) && x[i] < T(6) ? g : T(0);
        }
        break;
      case Pointwise::HardSigmoid:
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > T(-3) && x[i] < T(3) ? g / T(6) : T(0);
        }
        break;
      case Pointwise::Softsign:
        for (std::int64_t i = b; i < e; ++i) {
          const T d = T(1) + std::abs(x[i]);
          dx[i] = dy[i] / (d * d);
        }
        break;
      case Pointwise::Celu:
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > T(0) ? g : g * std::exp(x[i] / alpha);
        }
        break;
      case Pointwise::HardSwish:  // PyTorch's hardswish_backward: 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] < T(-3) ? T(0) : x[i] <= T(3) ? g * (x[i] / T(3) + T(0.5)) : g;
        }
        break;
      case Pointwise::LogSigmoid:  // sigmoid(-x)
        for (std::int64_t i = b; i < e; ++i) dx[i] = dy[i] * sigmoid(-x[i]);
        break;
      case Pointwise::TanhShrink:  // from x, not x - y, which cancels to 0 where tanh(x) is below y's last digit
        for (std::int64_t i = b; i < e; ++i) {
          const T t = std::tanh(x[i]);
          dx[i] = dy[i] * t * t;
        }
        break;
      case Pointwise::SoftShrink:
      case Pointwise::HardShrink:  // 0 on [-lambd, lambd], its ends included, as PyTorch
        for (std::int64_t i = b; i < e; ++i) {
          const T g = dy[i];
          dx[i] = x[i] > alpha || x[i] < -alpha ? g : T(0);
        }
        break;
    }
    // The copy that a mixed-precision product reads, rounded while the chunk is in this thread's cache.
    if constexpr (std::is_same_v<T, float>)
      if (rounded_dx) round_range_to_bfloat16(dx + b, rounded_dx + b, e - b);
  });
}

}  // namespace

template <typename T>
void apply_pointwise(Pointwise fn, double alpha, const T* x, T* y, std::int64_t n) {
  activate_range(fn, static_cast<T>(pointwise_alpha(fn, alpha)), x, y, 0, n);
}
template void apply_pointwise(Pointwise, double, const float*, float*, std::int64_t);
template void apply_pointwise(Pointwise, double, const double*, double*, std::int64_t);

void run_kernel(const op::Activation& o) {
  require_same_count(o.x, o.y, "activation");
  with_float_type(o.y, "activation", [&](auto tag) {
    using T = decltype(tag);
    activate<T>(o.fn, static_cast<T>(pointwise_alpha(o.fn, o.alpha)), o.x.data<T>(), o.y.data<T>(), o.x.numel());
  });
}

void run_kernel(const op::ActivationGrad& o, std::uint16_t* rounded_dx) {
  kChecks.activation_grad(o);
  with_float_type(o.dx, "activation_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.defined() ? o.x.data<T>() : nullptr;
    const T* y = o.y.defined() ? o.y.data<T>() : nullptr;
    activate_grad<T>(o.fn, static_cast<T>(pointwise_alpha(o.fn, o.alpha)), x, y, o.dy.data<T>(), o.dx.data<T>(), rounded_dx, o.dx.numel());
  });
}

void run_kernel(const op::Softmax& o) {
  kChecks.rows(o.x, "softmax");
  require_same_count(o.x, o.y, "softmax");
  with_float_type(o.y, "softmax", [&](auto tag) {
    using T = decltype(tag);
    if (o.x.numel() == 0) return;
    const std::int64_t rows = o.x.dim(0), cols = o.x.numel() / rows;
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    if constexpr (std::is_same_v<T, float>) {
      // Chunks of whole rows of about 2,048 values, each chunk's exponentials one run (vector_activations.hpp).
      const std::int64_t chunk = std::max<std::int64_t>(1, 2048 / cols);
#pragma omp parallel for schedule(static) if (rows * cols > kParallelThreshold)
      for (std::int64_t first = 0; first < rows; first += chunk)
        vector_activations::softmax_rows(x + first * cols, y + first * cols, std::min(chunk, rows - first), cols);
      return;
    }
#pragma omp parallel for schedule(static) if (rows * cols > kParallelThreshold)
    for (std::int64_t i = 0; i < rows; ++i) {
      const T* xi = x + i * cols;
      T* yi = y + i * cols;
      const T max = *std::max_element(xi, xi + cols);
      T sum = 0;
      for (std::int64_t j = 0; j < cols; ++j) sum += (yi[j] = std::exp(xi[j] - max));
      for (std::int64_t j = 0; j < cols; ++j) yi[j] /= sum;
    }
  });
}

void run_kernel(const op::SoftmaxGrad& o) {
  kChecks.rows(o.y, "softmax_grad");
  require_same_count(o.y, o.dy, "softmax_grad");
  require_same_count(o.y, o.dx, "softmax_grad");
  with_float_type(o.dx, "softmax_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.y.dim(0), cols = o.y.numel() / rows;
    const T* y = o.y.data<T>();
    const T* dy = o.dy.data<T>();
    T* dx = o.dx.data<T>();
#pragma omp parallel for schedule(static) if (rows * cols > kParallelThreshold)
    for (std::int64_t i = 0; i < rows; ++i) {
      T dot = 0;
      for (std::int64_t j = 0; j < cols; ++j) dot += dy[i * cols + j] * y[i * cols + j];
      for (std::int64_t j = 0; j < cols; ++j) dx[i * cols + j] = y[i * cols + j] * (dy[i * cols + j] - dot);
    }
  });
}

}  // namespace nnplug::cpu
