// Activation 'gelu' (PyTorch GELU): x * Phi(x), Phi the standard normal CDF. "approximate": "tanh" (PyTorch's
// approximate='tanh', GPT-2's and BERT's gelu, Keras's approximate=True) computes
//   0.5 x (1 + tanh(u)),  u = sqrt(2 / pi) (x + 0.044715 x^3)
// instead, through ops of this plugin (gelu_tanh and its gradient: a CPU kernel each, on the backend's threads, a CUDA
// kernel each where nvcc was found, gelu_tanh.cu, and a host reference, which the other backends run).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>

#include <Eigen/Core>

#include <fmt/format.h>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "../../shared/vector_exp.hpp"
#include "nnplug/op_activation.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "gelu_tanh_cuda.hpp"
#endif

namespace {

using namespace nnplug;

constexpr double kCubic = 0.044715;
const double kScale = std::sqrt(2.0 / std::numbers::pi);

double gelu_tanh(double x) { return 0.5 * x * (1.0 + std::tanh(kScale * (x + kCubic * x * x * x))); }
// d/dx: 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx, du/dx = sqrt(2 / pi) (1 + 3 0.044715 x^2).
double gelu_tanh_slope(double x) {
  const double t = std::tanh(kScale * (x + kCubic * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kScale * (1.0 + 3.0 * kCubic * x * x);
}

std::pair<OpSchema, OpSchema> schemas() {
  auto [forward, gradient] = activation_op_schemas("gelu_tanh");
  forward.host_reference = [](HostOpCall& call) {
    const auto& x = call.inputs[0].values;
    for (std::size_t i = 0; i < x.size(); ++i) call.outputs[0].values[i] = gelu_tanh(x[i]);
  };
  gradient.host_reference = [](HostOpCall& call) {
    const auto &x = call.inputs[0].values, &dy = call.inputs[2].values;
    for (std::size_t i = 0; i < x.size(); ++i) call.outputs[0].values[i] = dy[i] * gelu_tanh_slope(x[i]);
  };
  return {std::move(forward), std::move(gradient)};
}

// The CPU kernels take the tanh form as x sigmoid(2u), since 1 + tanh u = 2 sigmoid(2u), and its slope as
// s + 2 x s (1 - s) du/dx with s = sigmoid(2u): one exp a value, where libm's tanh, a call a value, took 44 % of a
// GELU-tanh transformer's epoch; and no cancellation where tanh u is near -1. Float64 runs on Eigen's vector exp, its
// values through fixed blocks of 16: an unaligned Map runs its ends on libm, and a value's last bit would depend on
// its place in the batch. The host reference keeps the tanh form, so plugin-check compares the two.
using Block = Eigen::Array<double, 16, 1>;

Block sigmoid_of_2u(const Block& x) { return 1.0 / (1.0 + (-2.0 * kScale * (x + kCubic * x.cube())).exp()); }

// out = f(x, dy) a block at a time (dy null: zeros).
template <typename T, typename F>
void in_blocks(const T* x, const T* dy, T* out, std::int64_t n, F&& f) {
  for (std::int64_t b = 0; b < n; b += Block::SizeAtCompileTime) {
    const std::int64_t m = std::min<std::int64_t>(Block::SizeAtCompileTime, n - b);
    Block xv = Block::Zero(), dyv = Block::Zero();
    for (std::int64_t i = 0; i < m; ++i) xv[i] = static_cast<double>(x[b + i]), dyv[i] = dy ? static_cast<double>(dy[b + i]) : 0.0;
    const Block r = f(xv, dyv);
    for (std::int64_t i = 0; i < m; ++i) out[b + i] = static_cast<T>(r[i]);
  }
}

// Float32 runs the same form in float, at the CPU's vector width (vector_clones.hpp, with vector_exp.hpp's exp): the
// blocks of doubles above ran two values an instruction, SSE2's width. Each value is computed alike wherever it lies.
constexpr float kScaleFloat = 0.7978845608028654f, kCubicFloat = 0.044715f;

// e^-2u, of which sigmoid(2u) = 1 / (1 + e^-2u) and 1 - sigmoid(2u) = e^-2u sigmoid(2u), without 1 - s's cancellation.
[[gnu::always_inline]] inline float exp_of_minus_2u(float v) { return vector_exp(-2.0f * kScaleFloat * (v + kCubicFloat * v * v * v)); }

NNPLUG_VECTOR_CLONES void gelu_tanh_floats(const float* __restrict x, float* __restrict y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + exp_of_minus_2u(x[i]));
}

NNPLUG_VECTOR_CLONES void gelu_tanh_grad_floats(const float* __restrict x, const float* __restrict dy, float* __restrict dx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i], e = exp_of_minus_2u(v), s = 1.0f / (1.0f + e);
    dx[i] = dy[i] * (s + 2.0f * v * s * (e * s) * kScaleFloat * (1.0f + 3.0f * kCubicFloat * v * v));
  }
}

void forward_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = call.inputs[0].data<T>();
    T* y = call.outputs[0].data<T>();
    parallel_chunks(call.inputs[0].numel(), [&](std::int64_t b, std::int64_t m) {
      if constexpr (std::is_same_v<T, float>) gelu_tanh_floats(x + b, y + b, m);
      else in_blocks(x + b, static_cast<const T*>(nullptr), y + b, m, [](const Block& v, const Block&) -> Block { return v * sigmoid_of_2u(v); });
    });
  });
}

void gradient_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *x = call.inputs[0].data<T>(), *dy = call.inputs[2].data<T>();
    T* dx = call.outputs[0].data<T>();
    parallel_chunks(call.inputs[0].numel(), [&](std::int64_t b, std::int64_t m) {
      if constexpr (std::is_same_v<T, float>) gelu_tanh_grad_floats(x + b, dy + b, dx + b, m);
      else in_blocks(x + b, dy + b, dx + b, m, [](const Block& v, const Block& g) -> Block {
        const Block s = sigmoid_of_2u(v);
        return g * (s + 2.0 * v * s * (1.0 - s) * kScale * (1.0 + 3.0 * kCubic * v.square()));
      });
    });
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
void forward_on_cuda(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cuda_kernels::gelu_tanh(call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel(), call.stream);
  });
}

void gradient_on_cuda(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cuda_kernels::gelu_tanh_grad(call.inputs[0].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel(), call.stream);
  });
}
#endif

}  // namespace

NNPLUG_PLUGIN("gelu", "0.1.0", "op:gelu_tanh op:gelu_tanh_grad activation:gelu", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"gelu_tanh", "cpu"}, forward_on_cpu);
  registrar.add_kernel({"gelu_tanh_grad", "cpu"}, gradient_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"gelu_tanh", "cuda"}, forward_on_cuda);
  registrar.add_kernel({"gelu_tanh_grad", "cuda"}, gradient_on_cuda);
#endif
  registrar.add_activation("gelu", [op](const Params& p) -> std::unique_ptr<Activation> {
    const std::string approximate = p.string("approximate", "none");
    if (approximate != "none" && approximate != "tanh")
      p.fail("approximate", fmt::format("must be \"none\" (the exact form) or \"tanh\", got \"{}\"", approximate));
    p.check_unused();
    if (approximate == "tanh") return std::make_unique<OpActivation>("gelu", op);
    return std::make_unique<PointwiseActivation>("gelu", Pointwise::Gelu);
  });
}
