// The CPU backend's kernels between X11's convolutions, in float32, on X11's shapes at batch 128: batch
// normalisation (forward in training mode, and backward; also on a dense layer's shape) and dropout; and what a
// ReLU costs after X11's convolutions (float32 and, where the CPU has it, mixed precision) and after a batch norm,
// taken into the op's output pass (its epilogue) or run as an op of its own; and 2x2 max pooling on the quick CNN's
// and X11's shapes, with the gradient through the ReLU before it taken in the pooling's backward pass or run as an
// op of its own; and batch norm, pooling and dropout on row-major images against images in channel blocks of 16.
// Microseconds per call, best of five rounds.
//   usage: x11_kernels_bench [--calls N]
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include <fmt/format.h>

#include "best_per_call.hpp"
#include "nnplug/framework/network.hpp"

using namespace nnplug;

namespace {

Tensor normal(Backend& be, const Shape& shape, double mean, double std, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> draw(mean, std);
  std::vector<double> values(static_cast<std::size_t>(shape.numel()));
  for (double& v : values) v = draw(engine);
  Tensor t = be.empty(shape, DType::Float32);
  from_host(t, values);
  return t;
}

Tensor filled(Backend& be, const Shape& shape, double value) {
  Tensor t = be.empty(shape, DType::Float32);
  be.run(op::Fill{t, value});
  return t;
}

// The ReLU after an op: run(epilogue) runs the op with that epilogue function. The two ways are timed in turn, three
// times each, so that a slow spell of the machine does not fall on one of them only.
void relu_after(const std::string& what, const Tensor& y, int calls, const std::function<void(Pointwise)>& run) {
  Backend& be = y.backend();
  double alone = 1e300, fused = 1e300, separate = 1e300;
  for (int turn = 0; turn < 3; ++turn) {
    alone = std::min(alone, best_per_call<std::micro>([&] { run(Pointwise::Identity); }, calls));
    fused = std::min(fused, best_per_call<std::micro>([&] { run(Pointwise::Relu); }, calls));
    separate = std::min(separate, best_per_call<std::micro>([&] {
      run(Pointwise::Identity);
      be.run(op::Activation{y, y, Pointwise::Relu});
    }, calls));
  }
  fmt::print("{:<34} {:>14.1f} {:>14.1f} {:>14.1f}\n", what, alone, fused, separate);
}

// Max pooling's forward and backward passes, and its backward through the ReLU before it: in the pass that routes
// dy (input_activation), or as op::ActivationGrad after it; all timed in turn, as relu_after does.
void pooling(Backend& be, const Shape& shape, int calls) {
  Window2d g;
  g.kernel_h = g.kernel_w = g.stride_h = g.stride_w = 2;
  const Shape pooled{shape[0], shape[1], shape[2] / 2, shape[3] / 2};
  Tensor x = normal(be, shape, 0.0, 1.0, 6), dx = be.empty(shape, DType::Float32), dy = normal(be, pooled, 0.0, 1.0, 7);
  Tensor y = be.empty(pooled, DType::Float32), argmax = be.empty(pooled, DType::Int32);
  be.run(op::Activation{x, x, Pointwise::Relu});
  const op::Pool2dGrad plain{dy, argmax, dx, PoolKind::Max, g, Pointwise::Identity, Tensor()};
  double forward = 1e300, backward = 1e300, fused = 1e300, separate = 1e300;
  for (int turn = 0; turn < 3; ++turn) {
    forward = std::min(forward, best_per_call<std::micro>([&] { be.run(op::Pool2d{x, y, argmax, PoolKind::Max, g}); }, calls));
    backward = std::min(backward, best_per_call<std::micro>([&] { be.run(plain); }, calls));
    fused = std::min(fused, best_per_call<std::micro>([&] {
      be.run(op::Pool2dGrad{dy, argmax, dx, PoolKind::Max, g, Pointwise::Relu, y});
    }, calls));
    separate = std::min(separate, best_per_call<std::micro>([&] {
      be.run(plain);
      be.run(op::ActivationGrad{x, x, dx, dx, Pointwise::Relu});
    }, calls));
  }
  fmt::print("{:<22} {:>10.1f} {:>10.1f} {:>14.1f} {:>14.1f}\n", shape.str(), forward, backward, fused, separate);
}

// Batch norm (forward and backward), 2x2 max pooling (forward and backward) and dropout on row-major images and on
// the same images in channel blocks of 16 (what X11's convolutions write on this backend), timed in turn.
void layouts(Backend& be, const Shape& shape, int calls) {
  const Shape per_channel{shape[1]}, pooled{shape[0], shape[1], shape[2] / 2, shape[3] / 2};
  Window2d g;
  g.kernel_h = g.kernel_w = g.stride_h = g.stride_w = 2;
  std::vector<std::string> cells;
  std::vector<double> best(10, 1e300);
  for (int turn = 0; turn < 3; ++turn)
    for (const Layout layout : {Layout::RowMajor, Layout::ChannelBlocks16}) {
      auto image = [&](const Shape& s, DType dtype = DType::Float32) { return be.empty(s, dtype, layout); };
      Tensor x = image(shape), dy = image(shape), y = image(shape), dx = image(shape), mask = image(shape);
      be.run(op::Copy{normal(be, shape, 0.5, 2.0, 1), x});
      be.run(op::Copy{normal(be, shape, 0.0, 1.0, 2), dy});
      Tensor pooled_y = image(pooled), argmax = image(pooled, DType::Int32), pooled_dy = image(pooled);
      be.run(op::Copy{normal(be, pooled, 0.0, 1.0, 3), pooled_dy});
      Tensor gamma = filled(be, per_channel, 1.5), beta = filled(be, per_channel, 0.1), mean = filled(be, per_channel, 0),
             invstd = filled(be, per_channel, 1), running_mean = filled(be, per_channel, 0), running_var = filled(be, per_channel, 1),
             dgamma = filled(be, per_channel, 0), dbeta = filled(be, per_channel, 0);
      std::uint64_t seed = 0;
      const std::vector<std::function<void()>> ops{
          [&] { be.run(op::BatchNorm{x, gamma, beta, y, mean, invstd, running_mean, running_var}); },
          [&] { be.run(op::BatchNormGrad{x, gamma, dy, mean, invstd, dx, dgamma, dbeta}); },
          [&] { be.run(op::Pool2d{x, pooled_y, argmax, PoolKind::Max, g}); },
          [&] { be.run(op::Pool2dGrad{pooled_dy, argmax, dx, PoolKind::Max, g, Pointwise::Identity, Tensor()}); },
          [&] { be.run(op::Dropout{x, y, mask, DropoutKind::Inverted, 0.3, ++seed, 0}); }};
      for (std::size_t k = 0; k < ops.size(); ++k) {
        double& b = best[2 * k + (layout == Layout::RowMajor ? 0 : 1)];
        b = std::min(b, best_per_call<std::micro>(ops[k], calls));
      }
    }
  for (std::size_t k = 0; k < best.size(); k += 2) cells.push_back(fmt::format("{:>7.1f} {:>7.1f}", best[k], best[k + 1]));
  fmt::print("{:<20} {}\n", shape.str(), fmt::join(cells, "  "));
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 2 && std::string(argv[1]) == "--calls" ? std::atoi(argv[2]) : 20;
  const Registry& registry = load_plugins();
  auto cpu = registry.create_backend(Params("bench", "cpu"));
  fmt::print("{:<22} {:>14} {:>14}\n", "shape", "forward (us)", "backward (us)");
  for (const Shape& shape : {Shape{128, 32, 28, 28}, Shape{128, 64, 14, 14}, Shape{128, 128, 7, 7}, Shape{128, 256}}) {
    const Shape per_channel{shape[1]};
    Tensor x = normal(*cpu, shape, 0.5, 2.0, 1), dy = normal(*cpu, shape, 0.0, 1.0, 2);
    Tensor y = cpu->empty(shape, DType::Float32), dx = cpu->empty(shape, DType::Float32);
    Tensor gamma = filled(*cpu, per_channel, 1.5), beta = filled(*cpu, per_channel, 0.1), mean = filled(*cpu, per_channel, 0),
           invstd = filled(*cpu, per_channel, 1), running_mean = filled(*cpu, per_channel, 0), running_var = filled(*cpu, per_channel, 1),
           dgamma = filled(*cpu, per_channel, 0), dbeta = filled(*cpu, per_channel, 0);
    const double forward = best_per_call<std::micro>([&] { cpu->run(op::BatchNorm{x, gamma, beta, y, mean, invstd, running_mean, running_var}); }, calls);
    const double backward = best_per_call<std::micro>([&] { cpu->run(op::BatchNormGrad{x, gamma, dy, mean, invstd, dx, dgamma, dbeta}); }, calls);
    fmt::print("{:<22} {:>14.1f} {:>14.1f}\n", shape.str(), forward, backward);
  }
  fmt::print("\n{:<22} {:>14}\n", "shape", "dropout (us)");
  for (const Shape& shape : {Shape{128, 32, 14, 14}, Shape{128, 64, 7, 7}, Shape{128, 128, 3, 3}}) {
    Tensor x = normal(*cpu, shape, 0.0, 1.0, 3), y = cpu->empty(shape, DType::Float32), mask = cpu->empty(shape, DType::Float32);
    std::uint64_t seed = 0;
    const double took = best_per_call<std::micro>([&] { cpu->run(op::Dropout{x, y, mask, DropoutKind::Inverted, 0.3, ++seed, 0}); }, calls);
    fmt::print("{:<22} {:>14.1f}\n", shape.str(), took);
  }

  fmt::print("\n{:<34} {:>14} {:>14} {:>14}\n", "ReLU after (us)", "none", "in its pass", "an op after");
  std::vector<std::pair<std::string, std::shared_ptr<Backend>>> backends{{"float32", cpu}};
  try {
    backends.emplace_back("bfloat16", registry.create_backend(Params("bench", Params::Json{{"type", "cpu"}, {"precision", "bfloat16"}})));
  } catch (const Error& e) {
    fmt::print("(no mixed precision: {})\n", e.what());
  }
  const Window2d same3{3, 3, 1, 1, 1, 1, 1, 1};
  for (const auto& [precision, be] : backends)
    for (const auto& [c, hw, f] : {std::tuple{32, 28, 32}, std::tuple{64, 14, 64}, std::tuple{128, 7, 128}}) {
      Tensor x = normal(*be, Shape{128, c, hw, hw}, 0.0, 1.0, 4), w = normal(*be, Shape{f, c, 3, 3}, 0.0, 0.05, 5);
      Tensor b = filled(*be, Shape{f}, 0.1), y = be->empty(Shape{128, f, hw, hw}, DType::Float32);
      relu_after(fmt::format("conv2d {}, {}x{}x{} ({})", f, c, hw, hw, precision), y, calls,
                 [&](Pointwise fn) { be->run(op::Conv2d{x, w, b, y, same3, fn}); });
    }
  for (const Shape& shape : {Shape{128, 32, 28, 28}, Shape{128, 64, 14, 14}, Shape{128, 128, 7, 7}}) {
    const Shape per_channel{shape[1]};
    Tensor x = normal(*cpu, shape, 0.5, 2.0, 1), y = cpu->empty(shape, DType::Float32);
    Tensor gamma = filled(*cpu, per_channel, 1.5), beta = filled(*cpu, per_channel, 0.1), mean = filled(*cpu, per_channel, 0),
           invstd = filled(*cpu, per_channel, 1), running_mean = filled(*cpu, per_channel, 0), running_var = filled(*cpu, per_channel, 1);
    relu_after(fmt::format("batch_norm {}", shape.str()), y, calls, [&](Pointwise fn) {
      cpu->run(op::BatchNorm{x, gamma, beta, y, mean, invstd, running_mean, running_var, 0.1, 1e-5, true, fn});
    });
  }

  fmt::print("\n{:<22} {:>10} {:>10} {:>14} {:>14}\n", "max pooling 2x2 (us)", "forward", "backward", "through a ReLU", "ReLU op after");
  for (const Shape& shape : {Shape{128, 32, 26, 26}, Shape{128, 64, 11, 11}, Shape{128, 32, 32, 32}}) pooling(*cpu, shape, calls);

  fmt::print("\nrow-major, then channel blocks (us): batch_norm forward, backward; max_pool2d 2x2 forward, backward; dropout\n");
  for (const Shape& shape : {Shape{128, 32, 28, 28}, Shape{128, 64, 14, 14}, Shape{128, 128, 7, 7}}) layouts(*cpu, shape, calls);
}
