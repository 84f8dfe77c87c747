// Layer 'layer_norm' (torch.nn.LayerNorm, Keras LayerNormalization): each sample is normalised by its own mean and
// variance over all its values, y = (x - mean) / sqrt(var + eps) * weight + bias, with a learnable weight (ones)
// and bias (zeros) per value normalised (elementwise_affine, as PyTorch). "normalized_shape" (PyTorch's), the
// sample's last sizes, normalises each block of those alone: [E] on a sequence [T, E] normalises each step, as a
// transformer does (Keras's default axis -1). Unlike batch norm it does not depend on the batch, so training and
// inference compute the same. eps 1e-5.
//
// It runs through ops that this plugin brings (custom_op.hpp): layer_norm(x, weight, bias) -> (y) and its gradient
// layer_norm_grad(x, weight, bias, y, dy) -> (dx, dweight, dbias), on (N, D) views of the batch. Both have a CPU
// kernel, a CUDA kernel (../shared/normalization.cu, where nvcc was found) and a host reference, which the other
// backends run; the gradient recomputes each row's mean and variance rather than keep them, one pass over x.
#include <cmath>
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

// Rows of y = (x - mean) rstd weight + bias, at the CPU's vector width (vector_clones.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void layer_norm_rows(const T* x, const T* weight, const T* bias, T* y, std::int64_t rows, std::int64_t d, double eps) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const auto [mean, rstd] = mean_and_rstd(x + i * d, d, eps);
    for (std::int64_t j = 0; j < d; ++j)
      y[i * d + j] = static_cast<T>((static_cast<double>(x[i * d + j]) - mean) * rstd * static_cast<double>(weight[j]) + static_cast<double>(bias[j]));
  }
}

// Rows split between threads (column_sums.hpp).
template <typename T>
void layer_norm(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t d, double eps) {
  parallel_rows(n, d, [&](std::int64_t first, std::int64_t rows) { layer_norm_rows(x + first * d, weight, bias, y + first * d, rows, d, eps); });
}

// With x̂ = (x - mean) rstd and g = dy * weight: dx = rstd (g - mean_j(g) - x̂ mean_j(g x̂)); dweight = sum_i dy x̂;
// dbias = sum_i dy. dx a row at a time, rows split between threads; then dweight and dbias, columns split between
// them (column_sums.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void layer_norm_grad_rows(const T* x, const T* weight, const T* dy, T* dx, double* means, double* rstds, std::int64_t rows,
                                               std::int64_t d, double eps) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const T *xi = x + i * d, *dyi = dy + i * d;
    const auto moments = mean_and_rstd(xi, d, eps);  // not a structured binding: clang 14 cannot capture one in a lambda
    const double mean = moments.first, rstd = moments.second;
    means[i] = mean, rstds[i] = rstd;
    const auto g = [&](std::int64_t j) { return static_cast<double>(dyi[j]) * static_cast<double>(weight[j]); };
    const double g_mean = interleaved_sum(d, g) / static_cast<double>(d);
    const double gx_mean = interleaved_sum(d, [&](std::int64_t j) { return g(j) * ((static_cast<double>(xi[j]) - mean) * rstd); }) / static_cast<double>(d);
    for (std::int64_t j = 0; j < d; ++j) dx[i * d + j] = static_cast<T>(rstd * (g(j) - g_mean - (static_cast<double>(xi[j]) - mean) * rstd * gx_mean));
  }
}

template <typename T>
void layer_norm_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, std::int64_t n, std::int64_t d, double eps) {
  std::vector<double> means(static_cast<std::size_t>(n)), rstds(static_cast<std::size_t>(n));
  parallel_rows(n, d, [&](std::int64_t first, std::int64_t rows) {
    layer_norm_grad_rows(x + first * d, weight, dy + first * d, dx + first * d, means.data() + first, rstds.data() + first, rows, d, eps);
  });
  column_sums<2>(
      n, d,
      [&](std::int64_t i, std::int64_t j, double* sums) {
        const double xhat = (static_cast<double>(x[i * d + j]) - means[static_cast<std::size_t>(i)]) * rstds[static_cast<std::size_t>(i)];
        sums[0] += static_cast<double>(dy[i * d + j]) * xhat;
        sums[1] += static_cast<double>(dy[i * d + j]);
      },
      [&](std::int64_t j, const double* sums) { dweight[j] = static_cast<T>(sums[0]), dbias[j] = static_cast<T>(sums[1]); });
}

// x is (N, D); weight and bias (D).
std::vector<Shape> layer_norm_shapes(const std::vector<Shape>& in, const OpAttributes&) {
  if (in[0].rank() != 2 || in[1].numel() != in[0][1] || in[2].numel() != in[0][1])
    throw ShapeError(fmt::format("layer_norm takes x (N, D) with a weight and a bias of D values, got x {}, weight {}, bias {}",
                                 in[0].str(), in[1].str(), in[2].str()));
  return {in[0]};
}

std::pair<OpSchema, OpSchema> schemas() {
  OpSchema forward, gradient;
  forward.name = "layer_norm";
  forward.inputs = {"x", "weight", "bias"};
  forward.outputs = {"y"};
  forward.attributes = {{"eps", 1e-5}};
  forward.gradient = "layer_norm_grad";
  forward.shape_rule = layer_norm_shapes;
  forward.check_shapes = {Shape{4, 6}, Shape{6}, Shape{6}};
  forward.host_reference = [](HostOpCall& c) {
    const Shape& x = c.inputs[0].shape;
    layer_norm(c.inputs[0].values.data(), c.inputs[1].values.data(), c.inputs[2].values.data(), c.outputs[0].values.data(), x[0], x[1],
               c.number("eps"));
  };
  gradient.name = "layer_norm_grad";
  gradient.inputs = {"x", "weight", "bias", "y", "dy"};
  gradient.outputs = {"dx", "dweight", "dbias"};
  gradient.attributes = forward.attributes;
  gradient.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    layer_norm_shapes(in, a);
    return std::vector<Shape>{in[0], in[1], in[2]};
  };
  gradient.check_shapes = {Shape{4, 6}, Shape{6}, Shape{6}, Shape{4, 6}, Shape{4, 6}};
  gradient.host_reference = [](HostOpCall& c) {
    const Shape& x = c.inputs[0].shape;
    layer_norm_grad(c.inputs[0].values.data(), c.inputs[1].values.data(), c.inputs[4].values.data(), c.outputs[0].values.data(),
                    c.outputs[1].values.data(), c.outputs[2].values.data(), x[0], x[1], c.number("eps"));
  };
  return {std::move(forward), std::move(gradient)};
}

void layer_norm_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    layer_norm(x.data<T>(), c.inputs[1].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), x.dim(0), x.dim(1), c.number("eps"));
  });
}

void layer_norm_grad_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    layer_norm_grad(x.data<T>(), c.inputs[1].data<T>(), c.inputs[4].data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(),
                    c.outputs[2].data<T>(), x.dim(0), x.dim(1), c.number("eps"));
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
void layer_norm_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    cuda_kernels::normalization(x.data<T>(), c.inputs[1].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), x.dim(0), x.dim(1), 1, 1,
                                c.number("eps"), true, c.stream);
  });
}

void layer_norm_grad_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& x = c.inputs[0];
    cuda_kernels::normalization_grad(x.data<T>(), c.inputs[1].data<T>(), c.inputs[4].data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(),
                                     c.outputs[2].data<T>(), x.dim(0), x.dim(1), 1, 1, c.number("eps"), true, c.stream);
  });
}
#endif

}  // namespace

NNPLUG_PLUGIN("layer_norm", "0.1.0", "op:layer_norm op:layer_norm_grad layer:layer_norm", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"layer_norm", "cpu"}, layer_norm_on_cpu);
  registrar.add_kernel({"layer_norm_grad", "cpu"}, layer_norm_grad_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"layer_norm", "cuda"}, layer_norm_on_cuda);
  registrar.add_kernel({"layer_norm_grad", "cuda"}, layer_norm_grad_on_cuda);
#endif
  registrar.add_layer("layer_norm", [op](const Params& p) {
    const double eps = p.number("eps", 1e-5, 0.0);
    std::vector<std::int64_t> normalized = read_normalized_shape(p);
    p.check_unused();
    return std::make_unique<BlockNormalization>("layer_norm", op, eps, std::move(normalized), true);
  });
}
