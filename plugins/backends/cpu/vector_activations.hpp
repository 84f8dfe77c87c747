#pragma once
// The float32 activations whose scalar form calls libm's exp, expm1, log1p, tanh or erf, on Eigen's vector functions
// instead: GCC does not vectorise a loop that calls libm, and on an LSTM libm's scalar tanhf and expf took a fifth
// of the epoch while the other core waited at the next barrier. Eigen's float exp, expm1 and log1p are within an
// ulp or two of libm's, and tanh and sigmoid are built on them. Float64 keeps libm's loops
// (activation_kernels.cpp). Definitions and the derivative at kinks are those of the scalar loops, which follow
// PyTorch.
//
// Values go through fixed-size blocks of 16 (the last one padded), never through a Map of the whole range: Eigen
// runs an unaligned Map's first and last values on its scalar functions, which call libm, so a value would differ
// in its last bit with its place in the batch (and two ranks that split a batch would not compute what one
// process does). Each block is loaded before it is written, so x may be y and dy may be dx.
#include <algorithm>
#include <cstdint>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include "nnplug/ops.hpp"
#include "op_constants.hpp"

namespace nnplug::cpu::vector_activations {

constexpr std::int64_t kBlock = 16;
template <typename T>
using Block = Eigen::Array<T, kBlock, 1>;

// The m <= kBlock values at p, zeros after them.
template <typename T>
Block<T> load(const T* p, std::int64_t m) {
  if (m == kBlock) return Eigen::Map<const Block<T>>(p);
  Block<T> v = Block<T>::Zero();
  std::copy(p, p + m, v.data());
  return v;
}
// A whole block as one vector store: std::copy of a length known at run time is a call to memmove, which took 5 %
// of the LSTM's epoch in its cell's seven stores a block.
template <typename T>
void store(const Block<T>& v, T* p, std::int64_t m) {
  if (m == kBlock) Eigen::Map<Block<T>>{p} = v;
  else std::copy(v.data(), v.data() + m, p);
}

// out[i] = f(in[i]...) for i < n, a block at a time.
template <typename T, typename F, typename... In>
void blockwise(T* out, std::int64_t n, F&& f, const In*... in) {
  for (std::int64_t b = 0; b < n; b += kBlock) {
    const std::int64_t m = std::min(kBlock, n - b);
    const Block<T> result = f(load(in + b, m)...);
    store(result, out + b, m);
  }
}

// out[i] = test(key[i]) ? yes[i] : no[i]. A loop over the lanes, which GCC makes one masked blend: Eigen 3.4's
// select() runs lane by lane, and took two thirds of tanh's time and three quarters of elu's.
template <typename T, typename Test>
Block<T> where(const Block<T>& key, Test test, const Block<T>& yes, const Block<T>& no) {
  Block<T> out;
  for (std::int64_t i = 0; i < kBlock; ++i) out[i] = test(key[i]) ? yes[i] : no[i];
  return out;
}
inline constexpr auto kPositive = [](auto v) { return v > 0; };
inline constexpr auto kNegative = [](auto v) { return v < 0; };
inline constexpr auto kAboveSoftplusThreshold = [](float v) { return v > float(backends::kSoftplusThreshold); };

// 1 / (1 + e^-x) on Eigen's exp, within two ulp in float and double: Eigen's own logistic() is a rational
// approximation whose error is absolute, a thousand ulp of sigmoid(-9). A division, not inverse(): the same
// value, in half the time.
template <typename Expression>
auto sigmoid(const Expression& x) {
  using Scalar = typename Expression::Scalar;
  return Scalar(1) / (Scalar(1) + (-x).exp());
}

// tanh |x| in float, within 1.6 ulp (every float, against double's tanh): below 0.55 x + x^3 P(x^2), P the
// least-relative-error quartic fitted in double (tests/cpu_activation_accuracy_test.cpp checks its values), and
// above it 1 - 2 / (e^2x + 1), which loses nothing to cancellation once tanh passes one half. Eigen's expm1,
// which the double form below takes, is an exp, a log and a division: this is a third of its time.
inline Block<float> tanh_magnitude(const Block<float>& a) {
  const Block<float> z = a * a;
  const Block<float> p = (((-0.0066265995f * z + 0.021320522f) * z - 0.05391195f) * z + 0.13333134f) * z - 0.33333331f;
  return where(a, [](float u) { return u < 0.55f; }, Block<float>(a + a * z * p), Block<float>(1.0f - 2.0f / ((2.0f * a).exp() + 1.0f)));
}
// In double, (1 - e^-2|x|) / (1 + e^-2|x|) on Eigen's expm1, within two ulp.
inline Block<double> tanh_magnitude(const Block<double>& a) {
  const Block<double> e = (-2.0 * a).expm1();
  return -e / (2.0 + e);
}

// tanh(x) = sign(x) tanh |x|. Eigen's own tanh() is a rational approximation about as close, but in float32 its
// errors made two ranks' training part from one process's by 9e-5 (relative) in DataParallel.Float32's three
// epochs of Adam, against 3e-6 with libm's or one of these.
template <typename Expression>
Block<typename Expression::Scalar> tanh(const Expression& x) {
  using Scalar = typename Expression::Scalar;
  const Block<Scalar> v = x, magnitude = tanh_magnitude(Block<Scalar>(v.abs()));
  return where(v, kNegative, Block<Scalar>(-magnitude), magnitude);
}

// e^x - 1 for x <= 0 in float (elu's, selu's and celu's negative side), within 2 ulp: above -0.7, x + x^2 P(x), P the
// least-relative-error quintic fitted in double; below, e^x - 1, whose e^x under one half leaves the subtraction
// nothing to cancel. Eigen's expm1 is an exp, a log and a division. Positive x gives what it gives: the callers take
// x itself there.
inline Block<float> expm1_of_nonpositive(const Block<float>& x) {
  const Block<float> p = ((((0.00015294635f * x + 0.0013545109f) * x + 0.008321022f) * x + 0.041664645f) * x + 0.16666654f) * x + 0.5f;
  return where(x, [](float v) { return v > -0.7f; }, Block<float>(x + x * x * p), Block<float>(x.exp() - 1.0f));
}

// GELU's Phi(x) = (1 + erf(x / sqrt 2)) / 2 on Eigen's float erf, within 4 ulp of erf, and exactly -1 where erff
// rounds to -1 too (below -5.3 or so): in float, as with libm's erff, GELU's far negative tail is 0 and its near one
// carries erf's absolute error, a few ulp of x, as PyTorch's vectorised GELU. Its scalar erff loop took a third of
// a GELU transformer's epoch.
inline Block<float> normal_cdf(const Block<float>& x) { return 0.5f * (1.0f + (x * float(backends::kInvSqrt2)).erf()); }

// y = f(x) over n values; false, writing nothing, for a function this file leaves to the scalar loops.
inline bool activate(Pointwise fn, float alpha, const float* x, float* y, std::int64_t n) {
  using namespace backends;
  const auto run = [&](auto&& f) {
    blockwise(y, n, f, x);
    return true;
  };
  switch (fn) {
    case Pointwise::Sigmoid: return run([](const auto& v) { return sigmoid(v); });
    case Pointwise::Tanh: return run([](const auto& v) { return tanh(v); });
    case Pointwise::Silu: return run([](const auto& v) { return v * sigmoid(v); });
    case Pointwise::Elu: return run([alpha](const auto& v) { return where(v, kPositive, v, Block<float>(alpha * expm1_of_nonpositive(v))); });
    case Pointwise::Selu:
      return run([](const auto& v) -> Block<float> { return float(kSeluScale) * where(v, kPositive, v, Block<float>(float(kSeluAlpha) * expm1_of_nonpositive(v))); });
    case Pointwise::Celu:  // alpha > 0: x / alpha <= 0 where x <= 0
      return run([alpha](const auto& v) { return where(v, kPositive, v, Block<float>(alpha * expm1_of_nonpositive(Block<float>(v / alpha)))); });
    case Pointwise::Softplus:
      return run([alpha](const auto& v) { return where(Block<float>(alpha * v), kAboveSoftplusThreshold, v, Block<float>((alpha * v).exp().log1p() / alpha)); });
    case Pointwise::LogSigmoid: return run([](const auto& v) { return v.min(0.0f) - (-v.abs()).exp().log1p(); });
    case Pointwise::TanhShrink: return run([](const auto& v) -> Block<float> { return v - tanh(v); });
    case Pointwise::Gelu: return run([](const auto& v) -> Block<float> { return v * normal_cdf(v); });
    default: return false;
  }
}

// dx = dy f'(x) over n values, for the functions whose derivative is computed from x through libm; false for the
// rest (those read y, or need no libm).
inline bool activate_grad(Pointwise fn, float alpha, const float* x, const float* dy, float* dx, std::int64_t n) {
  using namespace backends;
  if (!x) return false;
  const auto run = [&](auto&& f) {
    blockwise(dx, n, f, x, dy);
    return true;
  };
  switch (fn) {
    case Pointwise::Silu:
      return run([](const auto& v, const auto& g) -> Block<float> {  // evaluated here: it reads s, a local
        const Block<float> s = sigmoid(v);
        return g * s * (1.0f + v * (1.0f - s));
      });
    case Pointwise::Softplus:
      return run([alpha](const auto& v, const auto& g) { return where(Block<float>(alpha * v), kAboveSoftplusThreshold, g, Block<float>(g * sigmoid(alpha * v))); });
    case Pointwise::Celu: return run([alpha](const auto& v, const auto& g) { return where(v, kPositive, g, Block<float>(g * (v / alpha).exp())); });
    case Pointwise::LogSigmoid: return run([](const auto& v, const auto& g) { return g * sigmoid(-v); });
    case Pointwise::TanhShrink: return run([](const auto& v, const auto& g) -> Block<float> { return g * tanh(v).square(); });
    case Pointwise::Gelu:  // Phi(x) + x phi(x)
      return run([](const auto& v, const auto& g) -> Block<float> {
        return g * (normal_cdf(v) + v * float(kInvSqrt2Pi) * (-0.5f * v.square()).exp());
      });
    default: return false;
  }
}

// The softmax of each of `rows` rows of n > 0 values at x, into y (which may be x): each row's maximum subtracted,
// the exponentials of all the rows as one run of blocks, each row divided by its sum. A row at a time, an
// attention's row of 28 scores filled one block and three quarters of another, copied in and out by memmove; the
// values are those of a row at a time.
inline void softmax_rows(const float* x, float* y, std::int64_t rows, std::int64_t n) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const float max = Eigen::Map<const Eigen::ArrayXf>(x + i * n, n).maxCoeff();
    for (std::int64_t j = 0; j < n; ++j) y[i * n + j] = x[i * n + j] - max;
  }
  blockwise(y, rows * n, [](const auto& v) { return v.exp(); }, y);
  for (std::int64_t i = 0; i < rows; ++i) {
    float* yi = y + i * n;
    const float sum = Eigen::Map<const Eigen::ArrayXf>(yi, n).sum();
    for (std::int64_t j = 0; j < n; ++j) yi[j] /= sum;
  }
}

}  // namespace nnplug::cpu::vector_activations
