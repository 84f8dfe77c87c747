// Ops that draw random numbers: the dropouts and gradient noise. The numbers come from counter_random, a function
// of (seed, element index), so the GPU draws exactly the masks the CPU backend draws for the same seed. The seed
// (and the noise's std, which decays from step to step) is a live value, which a replayed step graph refills.
#include <cmath>

#include "grid_loop.cuh"
#include "kernels.hpp"
#include "live_values.hpp"
#include "nnplug/counter_random.hpp"
#include "op_constants.hpp"

namespace nnplug::cuda {

namespace {

using backends::DropoutConstants;

template <typename T>
__global__ void dropout_kernel(const T* x, T* y, T* mask, std::int64_t n, DropoutKind kind, Live<std::uint64_t> live_seed,
                               DropoutConstants c, std::uint64_t first) {
  const std::uint64_t seed = live_seed.get();
  NNPLUG_GRID_LOOP(i, n) {
    const auto index = first + static_cast<std::uint64_t>(i);
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
__global__ void add_noise_kernel(T* x, std::int64_t n, Live<NoiseDraw> live) {
  const NoiseDraw d = live.get();
  NNPLUG_GRID_LOOP(i, n) x[i] += static_cast<T>(d.std * counter_random::normal(d.seed, static_cast<std::uint64_t>(i)));
}

}  // namespace

void run_kernel(const op::Dropout& o, DeviceContext& ctx) {
  kChecks.dropout(o);
  const auto c = DropoutConstants::for_rate(o.rate);
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    dropout_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), o.mask.data<T>(), n, o.kind,
                                                                     ctx.live(live_value<T>(o)), c, o.first);
  });
  check_launch("dropout");
}

void run_kernel(const op::AddNoise& o, DeviceContext& ctx) {
  with_float_type(o.x, "add_noise", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    add_noise_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), n, ctx.live(live_value<T>(o)));
  });
  check_launch("add_noise");
}

}  // namespace nnplug::cuda
