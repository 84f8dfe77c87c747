// 2-D max and average pooling per channel: one thread per output value. The backward pass scatters with atomic
// adds, since overlapping windows (stride < kernel) send several gradients to one input.
#include <cuda/std/limits>

#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

struct PoolGeometry {
  std::int64_t planes, h, w, oh, ow;
  Window2d g;
  PoolGeometry(const backends::WindowShape& s, const Window2d& window) : planes(s.n * s.c), h(s.h), w(s.w), oh(s.oh), ow(s.ow), g(window) {}
};

template <typename T>
__global__ void pool2d_kernel(const T* x, T* y, std::int32_t* argmax, PoolGeometry s, bool max) {
  const Window2d& g = s.g;
  NNPLUG_GRID_LOOP(out, s.planes * s.oh * s.ow) {
    const std::int64_t plane = out / (s.oh * s.ow), oi = (out / s.ow) % s.oh, oj = out % s.ow;
    const std::int64_t i0 = oi * g.stride_h - g.pad_h, j0 = oj * g.stride_w - g.pad_w;
    const T* p = x + plane * s.h * s.w;
    // Taps in row-major order; the first of equal maxima wins, as on the CPU.
    T best = -::cuda::std::numeric_limits<T>::infinity(), sum = 0;
    std::int64_t best_at = -1;
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const std::int64_t i = i0 + ki * g.dilation_h;
      if (i < 0 || i >= s.h) continue;
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const std::int64_t j = j0 + kj * g.dilation_w;
        if (j < 0 || j >= s.w) continue;
        const T v = p[i * s.w + j];
        sum += v;
        if (best_at < 0 || v > best) {
          best = v;
          best_at = i * s.w + j;
        }
      }
    }
    // A window wholly in the padding gives -inf (max, no winner) or 0 (average).
    y[out] = max ? best : sum / static_cast<T>(g.kernel_h * g.kernel_w);
    if (max) argmax[out] = static_cast<std::int32_t>(best_at);
  }
}

// relu_y (optional): the pooling's output where its input was a ReLU's; a maximum of 0 routes nothing.
template <typename T>
__global__ void pool2d_grad_kernel(const T* dy, const std::int32_t* argmax, const T* relu_y, T* dx, PoolGeometry s) {
  const Window2d& g = s.g;
  NNPLUG_GRID_LOOP(out, s.planes * s.oh * s.ow) {
    const std::int64_t plane = out / (s.oh * s.ow);
    T* p = dx + plane * s.h * s.w;
    if (argmax) {
      if (argmax[out] >= 0 && (!relu_y || relu_y[out] > T(0))) atomicAdd(p + argmax[out], dy[out]);
      continue;
    }
    const std::int64_t oi = (out / s.ow) % s.oh, oj = out % s.ow;
    const std::int64_t i0 = oi * g.stride_h - g.pad_h, j0 = oj * g.stride_w - g.pad_w;
    const T share = dy[out] / static_cast<T>(g.kernel_h * g.kernel_w);
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const std::int64_t i = i0 + ki * g.dilation_h;
      if (i < 0 || i >= s.h) continue;
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const std::int64_t j = j0 + kj * g.dilation_w;
        if (j >= 0 && j < s.w) atomicAdd(p + i * s.w + j, share);
      }
    }
  }
}


}  // namespace

void run_kernel(const op::Pool2d& o, DeviceContext& ctx) {
  const PoolGeometry s(kChecks.pool(o.x, o.y, o.argmax, o.kind, o.window, "pool2d"), o.window);
  const bool max = o.kind == PoolKind::Max;
  with_float_type(o.x, "pool2d", [&](auto tag) {
    using T = decltype(tag);
    std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    pool2d_kernel<T><<<blocks_for(o.y.numel()), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), arg, s, max);
  });
  check_launch("pool2d");
}

void run_kernel(const op::Pool2dGrad& o, DeviceContext& ctx) {
  const PoolGeometry s(kChecks.pool_grad(o), o.window);
  const bool max = o.kind == PoolKind::Max;
  with_float_type(o.dy, "pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    check(cudaMemsetAsync(o.dx.data(), 0, o.dx.bytes(), ctx.stream()), "pool2d_grad");  // all-zero bits are 0.0
    const std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    const T* relu_y = o.input_activation == Pointwise::Relu ? o.y.data<T>() : nullptr;
    pool2d_grad_kernel<T><<<blocks_for(o.dy.numel()), kThreads, 0, ctx.stream()>>>(o.dy.data<T>(), arg, relu_y, o.dx.data<T>(), s);
  });
  check_launch("pool2d_grad");
}

}  // namespace nnplug::cuda
