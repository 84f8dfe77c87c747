// The CUDA kernels the project's plugins bring for their own ops (layer_norm, rms_norm, group_norm, gelu_tanh, glu,
// adaptive_max_pool2d, the element activations and masked_step_mean, with their gradients, the recurrent layers' step
// masks, the optimizer steps of nadam, adamax, lion, ftrl, lamb (both passes), lars, rprop, asgd and adafactor (its three
// ops), and the losses' ops soft_target_cross_entropy, cosine_similarity_loss, kl_divergence_loss, log_cosh_loss,
// binary_focal_loss, softmax_focal_loss, msle_loss, mape_loss, smooth_l1_loss, categorical_hinge_loss and nll_loss)
// against the same ops' CPU kernels, on shapes beyond the conformance kit's 4 x 6 (conformance_test.cpp runs that on
// every op): rows of several warps, more columns than one block of the parameters' gradients takes, more rows than its
// 16 row groups, rows of one value, and more elements than a grid has threads.
// Without an NVIDIA driver and device every test here skips, and the skip message says why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// The op's outputs of the given shapes, run on the backend with the native kernel chosen for it, as doubles. The
// outputs start as random magnitudes, what an optimizer's step op updates (its second slot is never negative).
std::vector<std::vector<double>> run_native(Backend& backend, const std::string& name, DType dtype, const std::vector<Shape>& input_shapes,
                                            const std::vector<std::vector<double>>& input_values, const std::vector<Shape>& output_shapes,
                                            const BoundOp::NamedValues& attributes) {
  BoundOp op(conformance::registry().find_op(name), backend, dtype);
  EXPECT_TRUE(op.kernel().kind == OpKernel::Kind::Native && op.kernel().backend == backend.name()) << op.kernel().describe();
  std::vector<Tensor> inputs, outputs;
  for (std::size_t i = 0; i < input_shapes.size(); ++i) inputs.push_back(tensor(backend, input_shapes[i], input_values[i], dtype));
  for (std::size_t k = 0; k < output_shapes.size(); ++k) {
    std::vector<double> start = random_normal(static_cast<std::size_t>(output_shapes[k].numel()), 400 + k);
    for (double& v : start) v = std::abs(v);
    outputs.push_back(tensor(backend, output_shapes[k], start, dtype));
  }
  op(inputs, outputs, attributes);
  std::vector<std::vector<double>> values;
  for (const Tensor& t : outputs) values.push_back(to_host<double>(t));
  return values;
}

// The op on the cuda backend against the cpu backend, in float32 and float64, to the conformance kit's tolerances:
// |cuda - cpu| <= tolerance * max(1, |cpu|). The inputs are random normal values; `zeroed` picks elements of the
// first to set to 0 (steps that a mask leaves out).
void expect_cuda_as_cpu(const std::string& name, const std::vector<Shape>& inputs, const std::vector<Shape>& outputs,
                        const BoundOp::NamedValues& attributes = {}, const std::function<bool(std::int64_t)>& zeroed = {}) {
  auto cpu = conformance::registry().create_backend(Params("cpu", "cpu"));
  auto cuda = conformance::registry().create_backend(Params("cuda", "cuda"));
  std::vector<std::vector<double>> values;
  for (std::size_t i = 0; i < inputs.size(); ++i) values.push_back(random_normal(static_cast<std::size_t>(inputs[i].numel()), 300 + i));
  for (std::int64_t i = 0; zeroed && i < inputs[0].numel(); ++i)
    if (zeroed(i)) values[0][static_cast<std::size_t>(i)] = 0.0;
  for (const auto& [dtype, tolerance] : {std::pair{DType::Float32, 1e-5}, std::pair{DType::Float64, 1e-12}}) {
    SCOPED_TRACE(fmt::format("{} on {} in {}", name, inputs[0].str(), dtype_name(dtype)));
    const auto want = run_native(*cpu, name, dtype, inputs, values, outputs, attributes);
    const auto got = run_native(*cuda, name, dtype, inputs, values, outputs, attributes);
    for (std::size_t k = 0; k < want.size(); ++k)
      for (std::size_t i = 0; i < want[k].size(); ++i)
        ASSERT_LE(std::abs(got[k][i] - want[k][i]), tolerance * std::max(1.0, std::abs(want[k][i])))
            << "output " << k << " [" << i << "]: cuda " << got[k][i] << ", cpu " << want[k][i];
  }
}

TEST(CudaPluginOps, LayerNormAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& x : {Shape{300, 700}, Shape{1000, 32}, Shape{37, 1}}) {
    const Shape d{x[1]};
    expect_cuda_as_cpu("layer_norm", {x, d, d}, {x});
    expect_cuda_as_cpu("layer_norm_grad", {x, d, d, x, x}, {x, d, d});
  }
}

TEST(CudaPluginOps, RmsNormAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& x : {Shape{300, 700}, Shape{1000, 32}, Shape{37, 1}}) {
    const Shape d{x[1]};
    expect_cuda_as_cpu("rms_norm", {x, d}, {x});
    expect_cuda_as_cpu("rms_norm_grad", {x, d, x, x}, {x, d});
  }
}

// (N, C, S) in groups of channels: 8 groups of 8 channels of 7 x 7 positions, one group (layer norm over a sample),
// a group per channel (instance_norm), channels of more positions than a block has threads, and channels of one
// position (whose parameters' gradients another kernel sums).
TEST(CudaPluginOps, GroupNormAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  for (const auto& [x, groups] : {std::pair{Shape{6, 64, 49}, 8}, std::pair{Shape{6, 64, 49}, 1}, std::pair{Shape{5, 40, 3}, 40},
                                  std::pair{Shape{16, 32, 784}, 4}, std::pair{Shape{70, 48, 1}, 6}}) {
    const Shape c{x[1]};
    const BoundOp::NamedValues attributes{{"groups", std::int64_t{groups}}};
    expect_cuda_as_cpu("group_norm", {x, c, c}, {x}, attributes);
    expect_cuda_as_cpu("group_norm_grad", {x, c, c, x, x}, {x, c, c}, attributes);
  }
}

TEST(CudaPluginOps, GeluTanhAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const Shape x{1500, 701};  // more elements than the grid's threads, which then loop
  expect_cuda_as_cpu("gelu_tanh", {x}, {x});
  expect_cuda_as_cpu("gelu_tanh_grad", {x, x, x}, {x});
}

// Adaptive max pooling of more planes than the grid has threads, its windows overlapping (30 rows into 7).
TEST(CudaPluginOps, AdaptiveMaxPoolAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const Shape x{64, 33, 30, 20}, y{64, 33, 7, 5};
  expect_cuda_as_cpu("adaptive_max_pool2d", {x}, {y}, {{"out_h", std::int64_t{7}}, {"out_w", std::int64_t{5}}});
  expect_cuda_as_cpu("adaptive_max_pool2d_grad", {x, y, y}, {x}, {{"out_h", std::int64_t{7}}, {"out_w", std::int64_t{5}}});
}

// glu halving a batch's channels (dim 1) and its last axis, on more elements than the grid has threads.
TEST(CudaPluginOps, GluAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  for (const auto& [x, y, dim] : {std::tuple{Shape{300, 40, 70}, Shape{300, 20, 70}, std::int64_t{1}},
                                  std::tuple{Shape{300, 40, 70}, Shape{300, 40, 35}, std::int64_t{2}}}) {
    expect_cuda_as_cpu("glu", {x}, {y}, {{"dim", dim}});
    expect_cuda_as_cpu("glu_grad", {x, y, y}, {x}, {{"dim", dim}});
  }
}

// The element activations of their plugins' ops, with attributes away from their defaults.
TEST(CudaPluginOps, ElementActivationsComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const Shape x{1500, 701};
  for (const auto& [name, attributes] : std::vector<std::pair<std::string, BoundOp::NamedValues>>{
           {"hard_tanh", {{"min_val", -0.5}, {"max_val", 2.0}}}, {"threshold", {{"threshold", 0.3}, {"value", -2.0}}},
           {"exponential", {}}, {"squareplus", {{"b", 0.5}}}, {"sparse_plus", {}}}) {
    expect_cuda_as_cpu(name, {x}, {x}, attributes);
    expect_cuda_as_cpu(name + "_grad", {x, x, x}, {x}, attributes);
  }
}

// One step of each optimizer's op on a tensor of more elements than the grid has threads, from the same gradient and
// state, with the optimizers' default attributes.
TEST(CudaPluginOps, OptimizerStepsComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const Shape x{1500, 701};
  expect_cuda_as_cpu("nadam_step", {x}, {x, x, x});
  expect_cuda_as_cpu("adamax_step", {x}, {x, x, x});
  expect_cuda_as_cpu("lion_step", {x}, {x, x});
  expect_cuda_as_cpu("ftrl_step", {x}, {x, x, x}, {{"l1", 0.01}, {"l2", 0.1}, {"l2_shrinkage", 0.05}});
  expect_cuda_as_cpu("lamb_direction", {x, x}, {x, x, x}, {{"weight_decay", 0.01}, {"step", 3.0}});
  expect_cuda_as_cpu("lamb_trust_step", {x, Shape{2}}, {x});
  expect_cuda_as_cpu("lars_step", {x, Shape{2}}, {x, x}, {{"nesterov", true}});
  expect_cuda_as_cpu("rprop_step", {x}, {x, x, x}, {{"step", 3.0}});
  expect_cuda_as_cpu("asgd_step", {x}, {x, x}, {{"lambd", 0.01}, {"t0", 1.0}, {"step", 4.0}});
  // Adafactor's factored update on one matrix and on a stack of 3 (rows and columns taken per matrix).
  expect_cuda_as_cpu("adafactor_factored_update", {x}, {Shape{1500, 1}, Shape{1, 701}, x}, {{"step", 3.0}});
  expect_cuda_as_cpu("adafactor_factored_update", {Shape{3, 70, 300}}, {Shape{3, 70, 1}, Shape{3, 1, 300}, Shape{3, 70, 300}}, {{"step", 3.0}});
  expect_cuda_as_cpu("adafactor_variance_update", {x}, {x, x}, {{"step", 3.0}});
  expect_cuda_as_cpu("adafactor_step", {x, Shape{2}}, {x}, {{"weight_decay", 0.1}, {"step", 4.0}});
}

// Soft targets (each row a distribution over 10 classes, as mixup's) with label smoothing 0.1 and class weights, on
// more rows than a block of the mean's threads, and as many classes as ImageNet's.
TEST(CudaPluginOps, SoftTargetCrossEntropyComputesWhatTheCpuKernelComputes) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& z : {Shape{3000, 10}, Shape{40, 1000}})
    expect_cuda_as_cpu("soft_target_cross_entropy", {z, z, Shape{z[1]}}, {Shape{1}, z}, {{"label_smoothing", 0.1}});
}

// The losses of a row per sample (cosine, softmax divergence at temperature 2, log-cosh, both focal, msle, mape,
// smooth_l1 at beta 0.5, categorical hinge, nll) and log_softmax's rows on more rows than a block of the mean's threads, rows of 1,000 values,
// and rows of one value. The targets are random normals, which the kernels take as they come: each is checked against
// the CPU kernel's arithmetic, not against the loss's meaning.
TEST(CudaPluginOps, SampleLossesComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& p : {Shape{3000, 10}, Shape{40, 1000}, Shape{700, 1}}) {
    expect_cuda_as_cpu("cosine_similarity_loss", {p, p}, {Shape{1}, p}, {{"eps", 1e-8}});
    expect_cuda_as_cpu("kl_divergence_loss", {p, p}, {Shape{1}, p}, {{"temperature", 2.0}});
    expect_cuda_as_cpu("log_cosh_loss", {p, p}, {Shape{1}, p});
    expect_cuda_as_cpu("binary_focal_loss", {p, p}, {Shape{1}, p}, {{"gamma", 2.0}, {"alpha", 0.25}});
    expect_cuda_as_cpu("softmax_focal_loss", {p, p}, {Shape{1}, p}, {{"gamma", 2.0}, {"alpha", 0.25}});
    expect_cuda_as_cpu("msle_loss", {p, p}, {Shape{1}, p});
    expect_cuda_as_cpu("mape_loss", {p, p}, {Shape{1}, p});
    expect_cuda_as_cpu("smooth_l1_loss", {p, p}, {Shape{1}, p}, {{"beta", 0.5}});
    expect_cuda_as_cpu("categorical_hinge_loss", {p, p}, {Shape{1}, p});
    expect_cuda_as_cpu("nll_loss", {p, p}, {Shape{1}, p});
    expect_cuda_as_cpu("log_softmax", {p}, {p});
    expect_cuda_as_cpu("log_softmax_grad", {p, p, p}, {p});
  }
}

// A recurrent layer's mask of 64 units over 5,000 steps of 40 features, every third step all zero.
TEST(CudaPluginOps, StepMasksComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const Shape x{5000, 40}, mask{5000, 64};
  const BoundOp::NamedValues units{{"units", std::int64_t{64}}};
  for (const std::string layer : {"rnn", "lstm", "gru"})
    expect_cuda_as_cpu(layer + "_step_mask", {x}, {mask, mask}, units, [](std::int64_t i) { return i / 40 % 3 == 1; });
}

// global_avg_pool1d's masked mean of 30 samples of 64 channels over 50 steps, channels first and last: every third
// step all zero, and the first sample's every step (whose mean is 0).
TEST(CudaPluginOps, MaskedStepMeanAndItsGradientComputeWhatTheCpuKernelsCompute) {
  SKIP_WITHOUT_CUDA();
  const std::int64_t n = 30, c = 64, l = 50;
  for (const bool last : {false, true}) {
    const Shape x = last ? Shape{n, l, c} : Shape{n, c, l}, y{n, c};
    const BoundOp::NamedValues attributes{{"channels_last", std::int64_t{last}}};
    const auto zeroed = [&](std::int64_t i) {
      const std::int64_t step = last ? i / c % l : i % l;
      return i < c * l || step % 3 == 1;
    };
    expect_cuda_as_cpu("masked_step_mean", {x}, {y}, attributes, zeroed);
    expect_cuda_as_cpu("masked_step_mean_grad", {x, y, y}, {x}, attributes, zeroed);
  }
}

}  // namespace
}  // namespace nnplug::test
