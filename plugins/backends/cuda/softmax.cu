// The row softmax and its backward pass. One thread per row: rows are class scores (tens to a thousand wide),
// and the batch gives enough rows to fill the device.
#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void softmax_kernel(const T* x, T* y, std::int64_t rows, std::int64_t cols) {
  NNPLUG_GRID_LOOP(i, rows) {
    const T* xi = x + i * cols;
    T* yi = y + i * cols;
    T max = xi[0];
    for (std::int64_t j = 1; j < cols; ++j) max = xi[j] > max ? xi[j] : max;
    T sum = 0;
    for (std::int64_t j = 0; j < cols; ++j) sum += (yi[j] = exp(xi[j] - max));
    for (std::int64_t j = 0; j < cols; ++j) yi[j] /= sum;
  }
}

template <typename T>
__global__ void softmax_grad_kernel(const T* y, const T* dy, T* dx, std::int64_t rows, std::int64_t cols) {
  NNPLUG_GRID_LOOP(i, rows) {
    T dot = 0;
    for (std::int64_t j = 0; j < cols; ++j) dot += dy[i * cols + j] * y[i * cols + j];
    for (std::int64_t j = 0; j < cols; ++j) dx[i * cols + j] = y[i * cols + j] * (dy[i * cols + j] - dot);
  }
}

}  // namespace

void run_kernel(const op::Softmax& o, DeviceContext& ctx) {
  kChecks.rows(o.x, "softmax");
  require_same_count(o.x, o.y, "softmax");
  with_float_type(o.y, "softmax", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.x.dim(0), cols = o.x.numel() / rows;
    softmax_kernel<T><<<blocks_for(rows), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(), rows, cols);
  });
  check_launch("softmax");
}

void run_kernel(const op::SoftmaxGrad& o, DeviceContext& ctx) {
  kChecks.rows(o.y, "softmax_grad");
  require_same_count(o.y, o.dy, "softmax_grad");
  require_same_count(o.y, o.dx, "softmax_grad");
  with_float_type(o.dx, "softmax_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.y.dim(0), cols = o.y.numel() / rows;
    softmax_grad_kernel<T><<<blocks_for(rows), kThreads, 0, ctx.stream()>>>(o.y.data<T>(), o.dy.data<T>(), o.dx.data<T>(), rows, cols);
  });
  check_launch("softmax_grad");
}

}  // namespace nnplug::cuda
