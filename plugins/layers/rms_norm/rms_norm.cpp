// Layer 'rms_norm' (torch.nn.RMSNorm, Keras's RMSNormalization; LLaMA's and T5's normalisation): each block of
// values is divided by its root mean square, y = x / sqrt(mean(x^2) + eps) * weight, with a learnable weight (ones)
// per value normalised and no bias, no mean taken out. "normalized_shape" as layer_norm's: the sample's last sizes
// (by default the whole sample); [E] on a sequence [T, E] normalises each step. eps: PyTorch's default, the machine
// epsilon of the model's dtype.
//
// It runs through ops that this plugin brings (custom_op.hpp): rms_norm(x, weight) -> (y) and its gradient
// rms_norm_grad(x, weight, y, dy) -> (dx, dweight), on (N, D) views of the batch, each with a CPU kernel, a CUDA kernel
// (../shared/normalization.cu, where nvcc was found) and a host reference, which the other backends run.
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "../shared/block_normalization.hpp"
#include "../shared/column_sums.hpp"
#include "../shared/normalization_moments.hpp"
#include "../../shared/vector_clones.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "../shared/normalization_cuda.hpp"
#endif

namespace {

using namespace nnplug;

// 1 / sqrt(mean(x^2) + eps) of a row of d values, summed in double (inlined as interleaved_sum is).
template <typename T>
[[gnu::always_inline]] inline double rms_rstd(const T* x, std::int64_t d, double eps) {
  const double squares = interleaved_sum(d, [x](std::int64_t j) { return static_cast<double>(x[j]) * static_cast<double>(x[j]); });
  return 1.0 / std::sqrt(squares / static_cast<double>(d) + eps);
}

// Rows of y = x rstd weight, at the CPU's vector width (vector_clones.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void rms_norm_rows(const T* x, const T* weight, T* y, std::int64_t rows, std::int64_t d, double eps) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const double rstd = rms_rstd(x + i * d, d, eps);
    for (std::int64_t j = 0; j < d; ++j) y[i * d + j] = static_cast<T>(static_cast<double>(x[i * d + j]) * rstd * static_cast<double>(weight[j]));
  }
}

// Rows split between threads (column_sums.hpp).
template <typename T>
void rms_norm(const T* x, const T* weight, T* y, std::int64_t n, std::int64_t d, double eps) {
  parallel_rows(n, d, [&](std::int64_t first, std::int64_t rows) { rms_norm_rows(x + first * d, weight, y + first * d, rows, d, eps); });
}

// With x̂ = x rstd and g = dy * weight: dx = rstd (g - x̂ mean_j(g x̂)); dweight = sum_i dy x̂. dx a row at a time, rows
// split between threads; then dweight, columns split between them (column_sums.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void rms_norm_grad_rows(const T* x, const T* weight, const T* dy, T* dx, double* rstds, std::int64_t rows, std::int64_t d,
                                             double eps) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const T *xi = x + i * d, *dyi = dy + i * d;
    const double rstd = rstds[i] = rms_rstd(xi, d, eps);
    const double gx_mean = interleaved_sum(d, [&](std::int64_t j) {
      return static_cast<double>(dyi[j]) * static_cast<double>(weight[j]) * (static_cast<double>(xi[j]) * rstd);
    }) / static_cast<double>(d);
    for (std::int64_t j = 0; j < d; ++j) {
      const double xhat = static_cast<double>(xi[j]) * rstd, g = static_cast<double>(dyi[j]) * static_cast<double>(weight[j]);
      dx[i * d + j] = static_cast<T>(rstd * (g - xhat * gx_mean));
    }
  }
}

template <typename T>
void rms_norm_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, std::int64_t n, std::int64_t d, double eps) {
  std::vector<double> rstds(static_cast<std::size_t>(n));
  parallel_rows(n, d, [&](std::int64_t first, std::int64_t rows) {
    rms_norm_grad_rows(x + first * d, weight, dy + first * d, dx + first * d, rstds.data() + first, rows, d, eps);
  });
  column_sums<1>(
      n, d,
      [&](std::int64_t i, std::int64_t j, double* sums) {
        sums[0] += static_cast<double>(dy[i * d + j]) * (static_cast<double>(x[i * d + j]) * rstds[static_cast<std::size_t>(i)]);
      },
      [&](std::int64_t j, const double* sums) { dweight[j] = static_cast<T>(sums[0]); });
}

// x is (N, D); weight (D).
std::vector<Shape> rms_norm_shapes(const std::vector<Shape>& in, const OpAttributes&) {
  if (in[0].rank() != 2 || in[1].numel() != in[0][1])
    throw ShapeError(fmt::format("rms_norm takes x (N, D) with a weight of D values, got x {}, weight {}", in[0].str(), in[1].str()));
  return {in[0]};
}

std::pair<OpSchema, OpSchema> schemas() {
  OpSchema forward, gradient;
  forward.name = "rms_norm";
  forward.inputs = {"x", "weight"};
  forward.outputs = {"y"};
  forward.attributes = {{"eps", 1e-6}};
  forward.gradient = "rms_norm_grad";
  forward.shape_rule = rms_norm_shapes;
  forward.check_shapes = {Shape{4, 6}, Shape{6}};
  forward.host_reference = [](HostOpCall& c) {
    const Shape& x = c.inputs[0].shape;
    rms_norm(c.inputs[0].values.data(), c.inputs[1].values.data(), c.outputs[0].values.data(), x[0], x[1], c.number("eps"));
  };
  gradient.name = "rms_norm_grad";
  gradient.inputs = {"x", "weight", "y", "dy"};
  gradient.outputs = {"dx", "dweight"};
  gradient.attributes = forward.attributes;
  gradient.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    rms_norm_shapes(in, a);
    return std::vector<Shape>{in[0], in[1]};
  };
  gradient.check_shapes = {Shape{4, 6}, Shape{6}, Shape{4, 6}, Shape{4, 6}};
  gradient.host_reference = [](HostOpCall& c) {
    const Shape& x = c.inputs[0].shape;
    rms_norm_grad(c.inputs[0].values.data(), c.inputs[1].values.data(), c.inputs[3].values.data(), c.outputs[0].values.data(),
                  c.outputs[1].values.data(), x[0], x[1], c.number("eps"));
  };
  return {std::move(forward), std::move(gradient)};
}

void rms_norm_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    rms_norm(x.data<T>(), c.inputs[1].data<T>(), c.outputs[0].data<T>(), x.dim(0), x.dim(1), c.number("eps"));
  });
}

void rms_norm_grad_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    rms_norm_grad(x.data<T>(), c.inputs[1].data<T>(), c.inputs[3].data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(), x.dim(0), x.dim(1),
                  c.number("eps"));
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
void rms_norm_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    cuda_kernels::normalization(x.data<T>(), c.inputs[1].data<T>(), static_cast<const T*>(nullptr), c.outputs[0].data<T>(), x.dim(0), x.dim(1),
                                1, 1, c.number("eps"), false, c.stream);
  });
}

void rms_norm_grad_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    cuda_kernels::normalization_grad(x.data<T>(), c.inputs[1].data<T>(), c.inputs[3].data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(),
                                     static_cast<T*>(nullptr), x.dim(0), x.dim(1), 1, 1, c.number("eps"), false, c.stream);
  });
}
#endif

}  // namespace

NNPLUG_PLUGIN("rms_norm", "0.1.0", "op:rms_norm op:rms_norm_grad layer:rms_norm", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"rms_norm", "cpu"}, rms_norm_on_cpu);
  registrar.add_kernel({"rms_norm_grad", "cpu"}, rms_norm_grad_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"rms_norm", "cuda"}, rms_norm_on_cuda);
  registrar.add_kernel({"rms_norm_grad", "cuda"}, rms_norm_grad_on_cuda);
#endif
  registrar.add_layer("rms_norm", [op](const Params& p) {
    const double eps = p.has("eps") ? p.number("eps", 0.0, 0.0) : std::numeric_limits<double>::quiet_NaN();
    std::vector<std::int64_t> normalized = read_normalized_shape(p);
    p.check_unused();
    return std::make_unique<BlockNormalization>("rms_norm", op, eps, std::move(normalized), false);
  });
}
