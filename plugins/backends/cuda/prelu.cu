// PReLU: a learnable slope for negative inputs, shared or one per channel (dim 1).
#include "grid_loop.cuh"
#include "reduce.cuh"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void prelu_kernel(const T* x, const T* alpha, T* y, std::int64_t n, std::int64_t channels, std::int64_t inner,
                             bool shared) {
  NNPLUG_GRID_LOOP(i, n) {
    const T slope = alpha[shared ? 0 : (i / inner) % channels];
    y[i] = x[i] > T(0) ? x[i] : slope * x[i];
  }
}

// One block per channel: dx for the channel's elements and the channel's sum of dy * min(0, x) into acc[c].
template <typename T>
__global__ void prelu_grad_kernel(const T* x, const T* alpha, const T* dy, T* dx, double* acc, ChannelLayout l, bool shared) {
  const std::int64_t c = blockIdx.x;
  const T slope = alpha[shared ? 0 : c];
  double sum = 0;
  for (std::int64_t k = threadIdx.x; k < l.per_channel(); k += blockDim.x) {
    const std::int64_t i = l.nth(c, k);
    if (dx) dx[i] = x[i] > T(0) ? dy[i] : slope * dy[i];
    if (x[i] <= T(0)) sum += static_cast<double>(dy[i] * x[i]);
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) acc[c] = sum;
}

// dalpha from the per-channel sums: each channel's own, or all of them for a shared slope.
template <typename T>
__global__ void prelu_store_kernel(const double* acc, T* dalpha, std::int64_t channels, bool shared) {
  NNPLUG_GRID_LOOP(c, shared ? 1 : channels) {
    double v = acc[c];
    if (shared)
      for (std::int64_t k = 1; k < channels; ++k) v += acc[k];
    dalpha[c] = static_cast<T>(v);
  }
}

}  // namespace

void run_kernel(const op::Prelu& o, DeviceContext& ctx) {
  const auto l = kChecks.prelu(o.x, o.alpha, "prelu");
  require_same_count(o.x, o.y, "prelu");
  with_float_type(o.x, "prelu", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    prelu_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.alpha.data<T>(), o.y.data<T>(), n, l.channels,
                                                                   l.inner, o.alpha.numel() == 1);
  });
  check_launch("prelu");
}

void run_kernel(const op::PreluGrad& o, DeviceContext& ctx) {
  const auto l = kChecks.prelu(o.x, o.alpha, "prelu_grad");
  require_same_count(o.x, o.dy, "prelu_grad");
  require_same_count(o.alpha, o.dalpha, "prelu_grad");
  with_float_type(o.x, "prelu_grad", [&](auto tag) {
    using T = decltype(tag);
    const bool shared = o.alpha.numel() == 1;
    auto* acc = static_cast<double*>(ctx.scratch(1, sizeof(double) * static_cast<std::size_t>(l.channels)));
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
    prelu_grad_kernel<T><<<static_cast<unsigned>(l.channels), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.alpha.data<T>(),
                                                                                          o.dy.data<T>(), dx, acc, l, shared);
    prelu_store_kernel<T><<<1, kThreads, 0, ctx.stream()>>>(acc, o.dalpha.data<T>(), l.channels, shared);
  });
  check_launch("prelu_grad");
}

}  // namespace nnplug::cuda
