#pragma once
// The float32 activations whose scalar form calls libm's exp, expm1, log1p or tanh, on Eigen's vector functions
// instead: GCC does not vectorise a loop that calls libm, and on an LSTM libm's scalar tanhf and expf took a fifth
// of the epoch while the other core waited at the next barrier. Eigen's float exp, expm1 and log1p are within an
// ulp or two of libm's, its tanh a rational approximation within two. Float64 keeps libm's loops
// (activation_kernels.cpp), and so does GELU: Eigen's fast erf is exactly +-1 beyond 4, where GELU's tail is
// 1 + erf. Definitions and the derivative at kinks are those of the scalar loops, which follow PyTorch; every
// expression is element by element, so x may be y and dy may be dx.
#include <cstdint>

#include <Eigen/Core>

#include "nnplug/ops.hpp"
#include "op_constants.hpp"

namespace nnplug::cpu::vector_activations {

using Floats = Eigen::Map<Eigen::ArrayXf>;
using ConstFloats = Eigen::Map<const Eigen::ArrayXf>;

// 1 / (1 + e^-x) on Eigen's exp, within two ulp: Eigen's own logistic() is a rational approximation whose error
// is absolute, a thousand ulp of sigmoid(-9).
template <typename Expression>
auto sigmoid(const Expression& x) {
  return (1.0f + (-x).exp()).inverse();
}

// y = f(x) over n values; false, writing nothing, for a function this file leaves to the scalar loops.
inline bool activate(Pointwise fn, float alpha, const float* x_data, float* y_data, std::int64_t n) {
  using namespace backends;
  const ConstFloats x(x_data, n);
  Floats y(y_data, n);
  switch (fn) {
    case Pointwise::Sigmoid: y = sigmoid(x); return true;
    case Pointwise::Tanh: y = x.tanh(); return true;
    case Pointwise::Silu: y = x * sigmoid(x); return true;
    case Pointwise::Elu: y = (x > 0.0f).select(x, alpha * x.expm1()); return true;
    case Pointwise::Selu:
      y = float(kSeluScale) * (x > 0.0f).select(x, float(kSeluAlpha) * x.expm1());
      return true;
    case Pointwise::Celu: y = (x > 0.0f).select(x, alpha * (x / alpha).expm1()); return true;
    case Pointwise::Softplus:
      y = (alpha * x > float(kSoftplusThreshold)).select(x, (alpha * x).exp().log1p() / alpha);
      return true;
    case Pointwise::LogSigmoid: y = x.min(0.0f) - (-x.abs()).exp().log1p(); return true;
    case Pointwise::TanhShrink: y = x - x.tanh(); return true;
    default: return false;
  }
}

// dx = dy f'(x) over n values, for the functions whose derivative is computed from x through libm; false for the
// rest (those read y, or need no libm).
inline bool activate_grad(Pointwise fn, float alpha, const float* x_data, const float* dy_data, float* dx_data, std::int64_t n) {
  using namespace backends;
  if (!x_data) return false;
  const ConstFloats x(x_data, n), dy(dy_data, n);
  Floats dx(dx_data, n);
  switch (fn) {
    case Pointwise::Silu: {
      const auto s = sigmoid(x);
      dx = dy * s * (1.0f + x * (1.0f - s));
      return true;
    }
    case Pointwise::Softplus:
      dx = (alpha * x > float(kSoftplusThreshold)).select(dy, dy * sigmoid(alpha * x));
      return true;
    case Pointwise::Celu: dx = (x > 0.0f).select(dy, dy * (x / alpha).exp()); return true;
    case Pointwise::LogSigmoid: dx = dy * sigmoid(-x); return true;
    case Pointwise::TanhShrink: dx = dy * x.tanh().square(); return true;
    default: return false;
  }
}

// y = e^(x - shift): a softmax row's exponentials; returns their sum.
inline float shifted_exp(const float* x, float* y, std::int64_t n, float shift) {
  Floats out(y, n);
  out = (ConstFloats(x, n) - shift).exp();
  return out.sum();
}

}  // namespace nnplug::cpu::vector_activations
