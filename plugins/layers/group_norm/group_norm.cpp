// Layers 'group_norm' (PyTorch's GroupNorm, Keras's GroupNormalization) and 'instance_norm' (PyTorch's
// InstanceNorm1d/2d without running statistics, its default). A sample (C, ...) is split into num_groups groups of
// consecutive channels, and each group is normalised by its own mean and variance over its channels and positions,
// then each channel scaled and shifted: y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]. instance_norm is the
// case of one channel per group. Like layer norm it does not depend on the batch, so training and inference
// compute the same, and small batches (detection, segmentation, diffusion models) normalise as large ones.
// group_norm takes num_groups (required, dividing C), eps (1e-5) and affine (true: a learnable weight, ones, and
// bias, zeros, of C values each); instance_norm takes eps and affine (false, as PyTorch).
//
// It runs through ops that this plugin brings (custom_op.hpp), on (N, C, S) views of the batch, S the positions
// of a channel: group_norm(x, weight, bias) -> (y) and its gradient group_norm_grad(x, weight, bias, y, dy) ->
// (dx, dweight, dbias). Both have a CPU kernel, a CUDA kernel (../shared/normalization.cu, where nvcc was found) and
// a host reference, which the other backends run.
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "../../shared/parallel_chunks.hpp"
#include "../shared/normalization_moments.hpp"
#include "../../shared/vector_clones.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "../shared/normalization_cuda.hpp"
#endif

namespace {

using namespace nnplug;

// The sizes of an (N, C, S) call in groups of channels: K = C / G channels of S positions each.
struct Groups {
  std::int64_t n, c, s, g;
  std::int64_t channels() const { return c / g; }
  std::int64_t values() const { return channels() * s; }  // one group's values, contiguous
};

// One sample's group (block n * g + group), at the CPU's vector width (vector_clones.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void group_norm_block(const T* x, const T* weight, const T* bias, T* y, const Groups d, std::int64_t block, double eps) {
  const std::int64_t first = block * d.values();
  const auto [mean, rstd] = mean_and_rstd(x + first, d.values(), eps);
  for (std::int64_t k = 0; k < d.channels(); ++k) {
    const std::int64_t c = block % d.g * d.channels() + k;
    const double w = static_cast<double>(weight[c]), b = static_cast<double>(bias[c]);
    for (std::int64_t i = first + k * d.s; i < first + (k + 1) * d.s; ++i) y[i] = static_cast<T>((static_cast<double>(x[i]) - mean) * rstd * w + b);
  }
}

// Groups go to OpenMP's threads (the backend's count), each group computed as on one thread.
template <typename T>
void group_norm(const T* x, const T* weight, const T* bias, T* y, const Groups& d, double eps) {
#pragma omp parallel for schedule(static) if (d.n * d.c * d.s > kParallelValues)
  for (std::int64_t block = 0; block < d.n * d.g; ++block) group_norm_block(x, weight, bias, y, d, block, eps);
}

// One sample's group of group_norm_grad: its dx, and its channels' sums of dy x̂ and dy, at the CPU's vector width.
template <typename T>
NNPLUG_VECTOR_CLONES void group_norm_grad_block(const T* x, const T* weight, const T* dy, T* dx, double* dy_xhat, double* dy_sum, const Groups d,
                                                std::int64_t block, double eps) {
  const std::int64_t first = block * d.values(), first_channel = block * d.channels();  // as (N, C), with d.c = d.g * d.channels()
  const auto moments = mean_and_rstd(x + first, d.values(), eps);  // not a structured binding: clang 14 cannot capture one in a lambda
  const double mean = moments.first, rstd = moments.second;
  double g_sum = 0.0, gx_sum = 0.0;
  for (std::int64_t k = 0; k < d.channels(); ++k) {
    const T *xk = x + first + k * d.s, *dyk = dy + first + k * d.s;
    const std::int64_t at = first_channel + k;
    dy_sum[at] = interleaved_sum(d.s, [dyk](std::int64_t i) { return static_cast<double>(dyk[i]); });
    dy_xhat[at] = interleaved_sum(d.s, [&](std::int64_t i) { return static_cast<double>(dyk[i]) * ((static_cast<double>(xk[i]) - mean) * rstd); });
    const double w = static_cast<double>(weight[(first_channel + k) % d.c]);
    g_sum += w * dy_sum[at], gx_sum += w * dy_xhat[at];
  }
  const double g_mean = g_sum / static_cast<double>(d.values()), gx_mean = gx_sum / static_cast<double>(d.values());
  for (std::int64_t k = 0; k < d.channels(); ++k) {
    const double w = static_cast<double>(weight[(first_channel + k) % d.c]);
    for (std::int64_t i = first + k * d.s; i < first + (k + 1) * d.s; ++i) {
      const double xhat = (static_cast<double>(x[i]) - mean) * rstd;
      dx[i] = static_cast<T>(rstd * (static_cast<double>(dy[i]) * w - g_mean - xhat * gx_mean));
    }
  }
}

// With x̂ = (x - mean) rstd and g = dy * weight[c], over each group: dx = rstd (g - mean(g) - x̂ mean(g x̂));
// dweight[c] = sum of dy x̂ over the samples and the channel's positions; dbias[c] = sum of dy.
// Each channel of a sample sums its dy and dy x̂ once: weighed by weight[c] they give the group's means, and they
// are that sample's terms of dweight and dbias. Groups go to OpenMP's threads; the samples' terms are added in
// sample order afterwards, so any thread count gives the same values.
template <typename T>
void group_norm_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, const Groups& d, double eps) {
  std::vector<double> dy_xhat(static_cast<std::size_t>(d.n * d.c)), dy_sum(dy_xhat.size());  // (N, C)
#pragma omp parallel for schedule(static) if (d.n * d.c * d.s > kParallelValues)
  for (std::int64_t block = 0; block < d.n * d.g; ++block) group_norm_grad_block(x, weight, dy, dx, dy_xhat.data(), dy_sum.data(), d, block, eps);
  for (std::int64_t c = 0; c < d.c; ++c) {
    double w = 0.0, b = 0.0;
    for (std::int64_t sample = 0; sample < d.n; ++sample) {
      const auto at = static_cast<std::size_t>(sample * d.c + c);
      w += dy_xhat[at], b += dy_sum[at];
    }
    dweight[c] = static_cast<T>(w), dbias[c] = static_cast<T>(b);
  }
}

Groups groups_of(const Shape& x, const OpAttributes& a) { return {x[0], x[1], x[2], a.integer("groups")}; }

// x is (N, C, S); weight and bias (C); groups divides C.
std::vector<Shape> group_norm_shapes(const std::vector<Shape>& in, const OpAttributes& a) {
  const std::int64_t groups = a.integer("groups");
  if (in[0].rank() != 3 || in[1].numel() != in[0][1] || in[2].numel() != in[0][1] || groups < 1 || in[0][1] % groups)
    throw ShapeError(fmt::format("group_norm takes x (N, C, S) with C a multiple of groups ({}) and a weight and a bias of C values, got x {}, "
                                 "weight {}, bias {}",
                                 groups, in[0].str(), in[1].str(), in[2].str()));
  return {in[0]};
}

std::pair<OpSchema, OpSchema> schemas() {
  OpSchema forward, gradient;
  forward.name = "group_norm";
  forward.inputs = {"x", "weight", "bias"};
  forward.outputs = {"y"};
  forward.attributes = {{"groups", std::int64_t{1}}, {"eps", 1e-5}};
  forward.gradient = "group_norm_grad";
  forward.shape_rule = group_norm_shapes;
  forward.check_shapes = {Shape{2, 6, 5}, Shape{6}, Shape{6}};
  forward.host_reference = [](HostOpCall& c) {
    group_norm(c.inputs[0].values.data(), c.inputs[1].values.data(), c.inputs[2].values.data(), c.outputs[0].values.data(),
               groups_of(c.inputs[0].shape, c), c.number("eps"));
  };
  gradient.name = "group_norm_grad";
  gradient.inputs = {"x", "weight", "bias", "y", "dy"};
  gradient.outputs = {"dx", "dweight", "dbias"};
  gradient.attributes = forward.attributes;
  gradient.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    group_norm_shapes(in, a);
    return std::vector<Shape>{in[0], in[1], in[2]};
  };
  gradient.check_shapes = {Shape{2, 6, 5}, Shape{6}, Shape{6}, Shape{2, 6, 5}, Shape{2, 6, 5}};
  gradient.host_reference = [](HostOpCall& c) {
    group_norm_grad(c.inputs[0].values.data(), c.inputs[1].values.data(), c.inputs[4].values.data(), c.outputs[0].values.data(),
                    c.outputs[1].values.data(), c.outputs[2].values.data(), groups_of(c.inputs[0].shape, c), c.number("eps"));
  };
  return {std::move(forward), std::move(gradient)};
}

void group_norm_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    group_norm(c.inputs[0].data<T>(), c.inputs[1].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), groups_of(c.inputs[0].shape(), c),
               c.number("eps"));
  });
}

void group_norm_grad_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    group_norm_grad(c.inputs[0].data<T>(), c.inputs[1].data<T>(), c.inputs[4].data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(),
                    c.outputs[2].data<T>(), groups_of(c.inputs[0].shape(), c), c.number("eps"));
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
void group_norm_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Groups d = groups_of(c.inputs[0].shape(), c);
    cuda_kernels::normalization(c.inputs[0].data<T>(), c.inputs[1].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), d.n, d.c, d.s, d.g,
                                c.number("eps"), true, c.stream);
  });
}

void group_norm_grad_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Groups d = groups_of(c.inputs[0].shape(), c);
    cuda_kernels::normalization_grad(c.inputs[0].data<T>(), c.inputs[1].data<T>(), c.inputs[4].data<T>(), c.outputs[0].data<T>(),
                                     c.outputs[1].data<T>(), c.outputs[2].data<T>(), d.n, d.c, d.s, d.g, c.number("eps"), true, c.stream);
  });
}
#endif

class GroupNorm final : public Layer {
 public:
  // groups 0: one per channel (instance_norm).
  GroupNorm(std::string type, OpHandle op, std::int64_t groups, double eps, bool affine)
      : type_(std::move(type)), op_(std::move(op)), groups_(groups), eps_(eps), affine_(affine) {}
  std::string type() const override { return type_; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 1 || input.numel() < 1) throw ShapeError(fmt::format("{} expects (channels, ...) per sample, got {}", type_, input.str()));
    const std::int64_t channels = input[0];
    if (!groups_) groups_ = channels;
    if (channels % groups_)
      throw ShapeError(fmt::format("{}: num_groups {} does not divide the input's {} channels (input {})", type_, groups_, channels, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    channels_ = channels, positions_ = input.numel() / channels;
    op_.on(ctx.backend, ctx.dtype);  // refused now where no kernel runs
    weight_ = {"weight", ctx.backend.empty({channels}, dtype_), ctx.backend.empty({channels}, dtype_), true,
               Params("", {{"type", "constant"}, {"value", 1.0}}), 1, 1};
    bias_ = {"bias", ctx.backend.empty({channels}, dtype_), ctx.backend.empty({channels}, dtype_), true, Params("", "zeros"), 1, 1};
    if (!affine_) {  // fixed at 1 and 0, and no parameters
      backend_->run(op::Fill{weight_.value, 1.0});
      backend_->run(op::Fill{bias_.value, 0.0});
    }
    return input;
  }
  std::vector<Parameter*> parameters() override {
    if (affine_) return {&weight_, &bias_};
    return {};
  }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    ensure(y_, *backend_, x.shape(), dtype_);
    op_.on(x)({view(x), weight_.value, bias_.value}, {view(y_)}, attributes());
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    // The op writes dx whether or not it is needed: one pass computes it with the parameters' gradients.
    ensure(dx_, *backend_, x_.shape(), dtype_);
    op_.on(x_).gradient()({view(x_), weight_.value, bias_.value, view(y_), view(dy)}, {view(dx_), weight_.grad, bias_.grad}, attributes());
    return need_input_grad ? dx_ : no_dx_;
  }

 private:
  std::string type_;
  OpHandle op_;
  std::int64_t groups_;
  double eps_;
  bool affine_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t channels_ = 0, positions_ = 0;
  Parameter weight_, bias_;
  Tensor x_, y_, dx_, no_dx_;

  Tensor view(const Tensor& t) const { return t.reshape(Shape{t.dim(0), channels_, positions_}); }
  BoundOp::NamedValues attributes() const { return {{"groups", groups_}, {"eps", eps_}}; }
};

}  // namespace

NNPLUG_PLUGIN("group_norm", "0.1.0", "op:group_norm op:group_norm_grad layer:group_norm layer:instance_norm", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"group_norm", "cpu"}, group_norm_on_cpu);
  registrar.add_kernel({"group_norm_grad", "cpu"}, group_norm_grad_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"group_norm", "cuda"}, group_norm_on_cuda);
  registrar.add_kernel({"group_norm_grad", "cuda"}, group_norm_grad_on_cuda);
#endif
  registrar.add_layer("group_norm", [op](const Params& p) {
    const std::int64_t groups = p.require_integer("num_groups", 1, std::int64_t{1} << 30);
    const double eps = p.number("eps", 1e-5, 0.0);
    const bool affine = p.boolean("affine", true);
    p.check_unused();
    return std::make_unique<GroupNorm>("group_norm", op, groups, eps, affine);
  });
  registrar.add_layer("instance_norm", [op](const Params& p) {
    const double eps = p.number("eps", 1e-5, 0.0);
    const bool affine = p.boolean("affine", false);
    p.check_unused();
    return std::make_unique<GroupNorm>("instance_norm", op, 0, eps, affine);
  });
}
