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

template <typename T>
__global__ void pool2d_grad_kernel(const T* dy, const std::int32_t* argmax, T* dx, PoolGeometry s) {
  const Window2d& g = s.g;
  NNPLUG_GRID_LOOP(out, s.planes * s.oh * s.ow) {
    const std::int64_t plane = out / (s.oh * s.ow);
    T* p = dx + plane * s.h * s.w;
    if (argmax) {
      if (argmax[out] >= 0) atomicAdd(p + argmax[out], dy[out]);
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

// Checks that y (N, C, OH, OW) is the pooling of x (N, C, H, W) under the window.
PoolGeometry geometry(const Tensor& x, const Tensor& y, const Window2d& g, const char* op) {
  require(x.rank() == 4 && y.rank() == 4, op, "needs (N, C, H, W) tensors, got " + x.shape().str() + " and " + y.shape().str());
  require(g.stride_h > 0 && g.stride_w > 0 && g.dilation_h > 0 && g.dilation_w > 0, op, "stride and dilation must be >= 1");
  const PoolGeometry s{x.dim(0) * x.dim(1), x.dim(2), x.dim(3), g.out_h(x.dim(2)), g.out_w(x.dim(3)), g};
  require(s.oh > 0 && s.ow > 0 && y.dim(0) == x.dim(0) && y.dim(1) == x.dim(1) && y.dim(2) == s.oh && y.dim(3) == s.ow, op,
          "output " + y.shape().str() + " does not fit input " + x.shape().str());
  return s;
}

}  // namespace

void run_kernel(const op::Pool2d& o, DeviceContext& ctx) {
  const PoolGeometry s = geometry(o.x, o.y, o.window, "pool2d");
  const bool max = o.kind == PoolKind::Max;
  if (max) require(o.argmax.dtype() == DType::Int32 && o.argmax.numel() == o.y.numel(), "pool2d", "argmax must be int32 like y");
  with_float_type(o.x, "pool2d", [&](auto tag) {
    using T = decltype(tag);
    std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    pool2d_kernel<T><<<blocks_for(o.y.numel()), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), arg, s, max);
  });
  check_launch("pool2d");
}

void run_kernel(const op::Pool2dGrad& o, DeviceContext& ctx) {
  const PoolGeometry s = geometry(o.dx, o.dy, o.window, "pool2d_grad");
  const bool max = o.kind == PoolKind::Max;
  if (max) require(o.argmax.dtype() == DType::Int32 && o.argmax.numel() == o.dy.numel(), "pool2d_grad", "argmax must be int32 like dy");
  with_float_type(o.dy, "pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    check(cudaMemsetAsync(o.dx.data(), 0, o.dx.bytes(), ctx.stream()), "pool2d_grad");  // all-zero bits are 0.0
    const std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    pool2d_grad_kernel<T><<<blocks_for(o.dy.numel()), kThreads, 0, ctx.stream()>>>(o.dy.data<T>(), arg, o.dx.data<T>(), s);
  });
  check_launch("pool2d_grad");
}

}  // namespace nnplug::cuda
