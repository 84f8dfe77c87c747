// Ops between a (N, F) matrix and an (F) vector: add_row_vector (the dense bias) and sum_rows (its gradient).
#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void add_row_vector_kernel(const T* x, const T* bias, T* out, std::int64_t n, std::int64_t cols) {
  NNPLUG_GRID_LOOP(i, n) out[i] = x[i] + bias[i % cols];
}

// Column sums. A block takes 32 neighbouring columns (a warp reads 32 neighbouring addresses) and splits their rows
// among 16 threads per column; the 16 partial sums are then added in a fixed order, so that the result repeats.
// (One thread per column walking every row left a bias gradient of 10 columns to 10 threads.)
constexpr unsigned kSumColumns = 32, kSumRowThreads = 16;

template <typename T>
__global__ void sum_rows_kernel(const T* x, T* out, std::int64_t rows, std::int64_t cols, T beta) {
  __shared__ T partial[kSumRowThreads][kSumColumns];
  const std::int64_t j = blockIdx.x * std::int64_t{kSumColumns} + threadIdx.x;
  T acc = 0;
  if (j < cols)
    for (std::int64_t i = threadIdx.y; i < rows; i += kSumRowThreads) acc += x[i * cols + j];
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y != 0 || j >= cols) return;
  T sum = beta == T(0) ? T(0) : beta * out[j];  // beta 0 ignores out, NaN included
  for (unsigned r = 0; r < kSumRowThreads; ++r) sum += partial[r][threadIdx.x];
  out[j] = sum;
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
    const auto blocks = static_cast<unsigned>(std::max<std::int64_t>(1, (cols + kSumColumns - 1) / kSumColumns));
    sum_rows_kernel<T><<<blocks, dim3(kSumColumns, kSumRowThreads), 0, ctx.stream()>>>(o.x.data<T>(), o.out.data<T>(), o.x.dim(0),
                                                                                     cols, static_cast<T>(o.beta));
  });
  check_launch("sum_rows");
}

}  // namespace nnplug::cuda
