// Ops that draw random numbers: the dropouts and gradient noise. The numbers come from counter_random, a function
// of (seed, element index), so the GPU draws exactly the masks the CPU backend draws for the same seed.
#include <cmath>

#include "grid_loop.cuh"
#include "kernels.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cuda {

namespace {

struct DropoutConstants {
  double p, keep, alpha_prime, a, b, gauss_std;
};

template <typename T>
__global__ void dropout_kernel(const T* x, T* y, T* mask, std::int64_t n, DropoutKind kind, std::uint64_t seed, DropoutConstants c) {
  NNPLUG_GRID_LOOP(i, n) {
    const auto index = static_cast<std::uint64_t>(i);
    switch (kind) {
      case DropoutKind::Inverted: {
        const bool kept = counter_random::uniform(seed, index) >= c.p;
        mask[i] = kept ? static_cast<T>(1.0 / c.keep) : T(0);
        y[i] = x[i] * mask[i];
        break;
      }
      case DropoutKind::Gaussian:
        mask[i] = static_cast<T>(1.0 + c.gauss_std * counter_random::normal(seed, index));
        y[i] = x[i] * mask[i];
        break;
      case DropoutKind::Alpha: {
        const bool kept = counter_random::uniform(seed, index) >= c.p;
        mask[i] = kept ? static_cast<T>(c.a) : T(0);
        y[i] = kept ? static_cast<T>(c.a * static_cast<double>(x[i]) + c.b) : static_cast<T>(c.a * c.alpha_prime + c.b);
        break;
      }
    }
  }
}

template <typename T>
__global__ void add_noise_kernel(T* x, std::int64_t n, double std, std::uint64_t seed) {
  NNPLUG_GRID_LOOP(i, n) x[i] += static_cast<T>(std * counter_random::normal(seed, static_cast<std::uint64_t>(i)));
}

}  // namespace

void run_kernel(const op::Dropout& o, DeviceContext& ctx) {
  require(o.rate >= 0.0 && o.rate < 1.0, "dropout", "rate must be in [0, 1), got " + std::to_string(o.rate));
  require_same_count(o.x, o.y, "dropout");
  require_same_count(o.x, o.mask, "dropout");
  // Alpha dropout (Klambauer et al. 2017): dropped units take alpha' = -scale * alpha of SELU, and
  // y = a (x * kept + alpha' (1 - kept)) + b keeps zero mean and unit variance.
  DropoutConstants c{};
  c.p = o.rate;
  c.keep = 1.0 - o.rate;
  c.alpha_prime = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;
  c.a = 1.0 / std::sqrt(c.keep * (1.0 + c.p * c.alpha_prime * c.alpha_prime));
  c.b = -c.a * c.alpha_prime * c.p;
  c.gauss_std = std::sqrt(c.p / c.keep);
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    dropout_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), o.mask.data<T>(), n, o.kind, o.seed, c);
  });
  check_launch("dropout");
}

void run_kernel(const op::AddNoise& o, DeviceContext& ctx) {
  with_float_type(o.x, "add_noise", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    add_noise_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), n, o.std, o.seed);
  });
  check_launch("add_noise");
}

}  // namespace nnplug::cuda
