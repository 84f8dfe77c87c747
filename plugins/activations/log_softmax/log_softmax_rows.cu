// log_softmax's ops on the GPU: a thread a row in a grid-stride loop, as the CPU kernels' loops.
#include "../../shared/cuda_launch.cuh"
#include "log_softmax_cuda.hpp"
#include "log_softmax_rows.hpp"

namespace nnplug::activations {

namespace {

template <typename T>
__global__ void rows_forward(const T* x, T* y, std::int64_t rows, std::int64_t c) {
  NNPLUG_GRID_STRIDE(i, rows) log_softmax_row(x + i * c, y + i * c, c);
}
template <typename T>
__global__ void rows_backward(const T* y, const T* dy, T* dx, std::int64_t rows, std::int64_t c) {
  NNPLUG_GRID_STRIDE(i, rows) log_softmax_grad_row(y + i * c, dy + i * c, dx + i * c, c);
}

}  // namespace

template <typename T>
void log_softmax_cuda(const T* x, T* y, std::int64_t rows, std::int64_t c, void* stream) {
  using namespace cuda_kernels;
  if (rows == 0 || c == 0) return;
  rows_forward<T><<<blocks_for(rows), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, y, rows, c);
  check(cudaGetLastError(), "log_softmax: launch failed");
}
template <typename T>
void log_softmax_grad_cuda(const T* y, const T* dy, T* dx, std::int64_t rows, std::int64_t c, void* stream) {
  using namespace cuda_kernels;
  if (rows == 0 || c == 0) return;
  rows_backward<T><<<blocks_for(rows), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(y, dy, dx, rows, c);
  check(cudaGetLastError(), "log_softmax_grad: launch failed");
}

template void log_softmax_cuda<float>(const float*, float*, std::int64_t, std::int64_t, void*);
template void log_softmax_cuda<double>(const double*, double*, std::int64_t, std::int64_t, void*);
template void log_softmax_grad_cuda<float>(const float*, const float*, float*, std::int64_t, std::int64_t, void*);
template void log_softmax_grad_cuda<double>(const double*, const double*, double*, std::int64_t, std::int64_t, void*);

}  // namespace nnplug::activations
