// The CPU backend's kernels between X11's convolutions, in float32, on X11's shapes at batch 128: batch
// normalisation (forward in training mode, and backward; also on a dense layer's shape) and dropout. Microseconds
// per call, best of five rounds.
//   usage: x11_kernels_bench [--calls N]
#include <cstdlib>
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

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 2 && std::string(argv[1]) == "--calls" ? std::atoi(argv[2]) : 20;
  auto cpu = load_plugins().create_backend(Params("bench", "cpu"));
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
}
