// Ops between a (N, F) matrix and an (F) vector: add_row_vector (the dense bias) and sum_rows (its gradient).
#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void add_row_vector_kernel(const T* x, const T* bias, T* out, std::int64_t n, std::int64_t cols) {
  NNPLUG_GRID_LOOP(i, n) out[i] = x[i] + bias[i % cols];
}

// One thread per column walking the rows in order: neighbouring threads read neighbouring addresses, and the
// sum is taken in the same order as on the CPU.
template <typename T>
__global__ void sum_rows_kernel(const T* x, T* out, std::int64_t rows, std::int64_t cols, T beta) {
  NNPLUG_GRID_LOOP(j, cols) {
    T acc = beta == T(0) ? T(0) : beta * out[j];
    for (std::int64_t i = 0; i < rows; ++i) acc += x[i * cols + j];
    out[j] = acc;
  }
}

}  // namespace

void run_kernel(const op::AddRowVector& o, DeviceContext& ctx) {
  kChecks.add_row_vector(o);
  with_float_type(o.out, "add_row_vector", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    add_row_vector_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.bias.data<T>(), o.out.data<T>(), n,
                                                                            o.x.dim(1));
  });
  check_launch("add_row_vector");
}

void run_kernel(const op::SumRows& o, DeviceContext& ctx) {
  kChecks.sum_rows(o);
  with_float_type(o.out, "sum_rows", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t cols = o.x.dim(1);
    sum_rows_kernel<T><<<blocks_for(cols), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.out.data<T>(), o.x.dim(0), cols,
                                                                        static_cast<T>(o.beta));
  });
  check_launch("sum_rows");
}

}  // namespace nnplug::cuda
