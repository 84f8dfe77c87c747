// Memory and simple element-wise ops: fill, copy, permute, axpby, multiply, clamp.
#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void fill_kernel(T* out, std::int64_t n, T value) {
  NNPLUG_GRID_LOOP(i, n) out[i] = value;
}

// One thread per element of out, read from x at the walk's strides (E: an unsigned integer of the element's size).
template <typename E>
__global__ void permute_kernel(const E* x, E* out, std::int64_t n, backends::OpChecks::AxisWalk w) {
  NNPLUG_GRID_LOOP(i, n) {
    std::int64_t from = 0, rest = i;
    for (int a = w.rank - 1; a >= 0; --a) from += (rest % w.sizes[a]) * w.strides[a], rest /= w.sizes[a];
    out[i] = x[from];
  }
}

template <typename T>
__global__ void axpby_kernel(const T* x, T* y, std::int64_t n, T alpha, T beta) {
  NNPLUG_GRID_LOOP(i, n)
    y[i] = beta == T(0) ? alpha * x[i] : alpha * x[i] + beta * y[i];  // beta 0 ignores y, NaN included
}

template <typename T>
__global__ void multiply_kernel(const T* a, const T* b, T* out, std::int64_t n) {
  NNPLUG_GRID_LOOP(i, n) out[i] = a[i] * b[i];
}

template <typename T>
__global__ void clamp_kernel(T* x, std::int64_t n, T lo, T hi) {
  NNPLUG_GRID_LOOP(i, n)
    x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

}  // namespace

void run_kernel(const op::Fill& o, DeviceContext& ctx) {
  with_float_type(o.out, "fill", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.out.numel();
    fill_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.out.data<T>(), n, static_cast<T>(o.value));
  });
  check_launch("fill");
}

void run_kernel(const op::Copy& o, DeviceContext& ctx) {
  require_same_count(o.x, o.out, "copy");
  require(o.x.dtype() == o.out.dtype(), "copy", "dtypes differ");
  if (o.x.data() != o.out.data())
    check(cudaMemcpyAsync(o.out.data(), o.x.data(), o.x.bytes(), cudaMemcpyDeviceToDevice, ctx.stream()), "copy");
}

void run_kernel(const op::Permute& o, DeviceContext& ctx) {
  const auto w = kChecks.permute(o);
  const std::int64_t n = o.out.numel();
  backends::with_element_type(o.x, [&](auto tag) {
    using E = decltype(tag);
    permute_kernel<E><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(static_cast<const E*>(o.x.data()), static_cast<E*>(o.out.data()), n, w);
  });
  check_launch("permute");
}

// One strided copy: cudaMemcpy2DAsync moves `rows` rows of the part's width between the two pitches.
void run_kernel(const op::CopyColumns& o, DeviceContext& ctx) {
  const auto b = kChecks.copy_columns(o);
  const std::size_t element = dtype_size(o.part.dtype());
  auto* whole = static_cast<unsigned char*>(o.whole.data()) + static_cast<std::size_t>(o.offset) * element;
  const std::size_t part_pitch = static_cast<std::size_t>(b.part_width) * element, whole_pitch = static_cast<std::size_t>(b.whole_width) * element;
  const auto rows = static_cast<std::size_t>(o.rows);
  if (o.into_whole)
    check(cudaMemcpy2DAsync(whole, whole_pitch, o.part.data(), part_pitch, part_pitch, rows, cudaMemcpyDeviceToDevice, ctx.stream()), "copy_columns");
  else
    check(cudaMemcpy2DAsync(o.part.data(), part_pitch, whole, whole_pitch, part_pitch, rows, cudaMemcpyDeviceToDevice, ctx.stream()), "copy_columns");
}

void run_kernel(const op::Axpby& o, DeviceContext& ctx) {
  require_same_count(o.x, o.y, "axpby");
  with_float_type(o.y, "axpby", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.y.numel();
    axpby_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), n, static_cast<T>(o.alpha),
                                                                   static_cast<T>(o.beta));
  });
  check_launch("axpby");
}

void run_kernel(const op::Multiply& o, DeviceContext& ctx) {
  require_same_count(o.a, o.out, "multiply");
  require_same_count(o.b, o.out, "multiply");
  with_float_type(o.out, "multiply", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.out.numel();
    multiply_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.a.data<T>(), o.b.data<T>(), o.out.data<T>(), n);
  });
  check_launch("multiply");
}

void run_kernel(const op::Clamp& o, DeviceContext& ctx) {
  kChecks.clamp(o);
  with_float_type(o.x, "clamp", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    clamp_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), n, static_cast<T>(o.min), static_cast<T>(o.max));
  });
  check_launch("clamp");
}

}  // namespace nnplug::cuda
