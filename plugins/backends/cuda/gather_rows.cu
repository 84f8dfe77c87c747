// An embedding's rows: GatherRows picks a table's rows by index, ScatterAddRows adds gradients back into them. One
// thread per element of the picked rows. An index that is not a whole number in [0, rows) sets a bit in the device's
// error word (the host never sees the indices here), which the backend turns into an error naming the op at its next
// synchronisation; its row reads as zeros and adds nothing meanwhile.
#include <cmath>

#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__device__ bool row_of(T value, std::int64_t rows, std::int64_t& row) {
  if (!(value >= T(0) && value < static_cast<T>(rows) && value == trunc(value))) return false;
  row = static_cast<std::int64_t>(value);
  return true;
}

template <typename T>
__global__ void gather_rows_kernel(const T* table, const T* index, T* out, std::int64_t rows, std::int64_t width, std::int64_t n,
                                   unsigned* error_word) {
  NNPLUG_GRID_LOOP(k, n) {
    std::int64_t row = 0;
    if (row_of(index[k / width], rows, row)) {
      out[k] = table[row * width + k % width];
    } else {
      out[k] = T(0);
      atomicOr(error_word, kIndexOutOfRange);
    }
  }
}

template <typename T>
__global__ void scatter_add_rows_kernel(const T* grad, const T* index, T* table_grad, std::int64_t rows, std::int64_t width,
                                        std::int64_t n, std::int64_t skip, unsigned* error_word) {
  NNPLUG_GRID_LOOP(k, n) {
    std::int64_t row = 0;
    if (!row_of(index[k / width], rows, row)) atomicOr(error_word, kIndexOutOfRange);
    else if (row != skip) atomicAdd(table_grad + row * width + k % width, grad[k]);
  }
}

}  // namespace

void run_kernel(const op::GatherRows& o, DeviceContext& ctx) {
  const auto p = kChecks.row_pick(o.table, o.index, o.out, "gather_rows");
  const std::int64_t n = p.count * p.width;
  if (n == 0) return;
  with_float_type(o.table, "gather_rows", [&](auto tag) {
    using T = decltype(tag);
    gather_rows_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.table.data<T>(), o.index.data<T>(), o.out.data<T>(), p.rows,
                                                                        p.width, n, ctx.error_word());
  });
  check_launch("gather_rows");
}

void run_kernel(const op::ScatterAddRows& o, DeviceContext& ctx) {
  const auto p = kChecks.row_pick(o.table_grad, o.index, o.grad, "scatter_add_rows");
  check(cudaMemsetAsync(o.table_grad.data(), 0, o.table_grad.bytes(), ctx.stream()), "scatter_add_rows");
  const std::int64_t n = p.count * p.width;
  if (n == 0) return;
  with_float_type(o.table_grad, "scatter_add_rows", [&](auto tag) {
    using T = decltype(tag);
    scatter_add_rows_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.grad.data<T>(), o.index.data<T>(), o.table_grad.data<T>(),
                                                                              p.rows, p.width, n, o.skip, ctx.error_word());
  });
  check_launch("scatter_add_rows");
}

}  // namespace nnplug::cuda
