// soft_target_cross_entropy's CUDA kernel (soft_target_cuda.hpp): a thread a row computes the row's loss and
// gradient with the CPU kernel's arithmetic (soft_target_row.hpp), in double; then one block adds the rows' losses in
// a fixed order, so that the mean does not change from run to run.
#include "../../shared/cuda_launch.cuh"
#include "soft_target_cuda.hpp"
#include "soft_target_row.hpp"

namespace nnplug::cuda_kernels {

namespace {

template <typename T>
__global__ void rows_of_loss(const T* z, const T* t, const T* w, T* dz, double* row_loss, std::int64_t n, std::int64_t c, double smoothing) {
  NNPLUG_GRID_STRIDE(i, n) row_loss[i] = losses::soft_target_row(z + i * c, t + i * c, w, dz + i * c, n, c, smoothing);
}

// One block: each thread adds every kThreads-th row, then thread 0 adds the threads' sums in order.
template <typename T>
__global__ void mean_of_rows(const double* row_loss, T* loss, std::int64_t n) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += row_loss[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x != 0) return;
  double total = 0.0;
  for (int k = 0; k < kThreads; ++k) total += partial[k];
  loss[0] = static_cast<T>(total / static_cast<double>(n));
}

}  // namespace

template <typename T>
void soft_target_cross_entropy(const T* z, const T* t, const T* w, T* loss, T* dz, std::int64_t n, std::int64_t c, double smoothing,
                               void* stream) {
  const auto queue = static_cast<cudaStream_t>(stream);
  // Stream-ordered, so that a step graph records the allocation with the kernels; the pool keeps the memory between steps.
  if (n == 0 || c == 0) return;  // no tensor holds no values
  double* row_loss = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&row_loss), static_cast<std::size_t>(n) * sizeof(double), queue), "soft_target_cross_entropy: scratch");
  rows_of_loss<<<blocks_for(n), kThreads, 0, queue>>>(z, t, w, dz, row_loss, n, c, smoothing);
  mean_of_rows<<<1, kThreads, 0, queue>>>(row_loss, loss, n);
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(row_loss, queue), "soft_target_cross_entropy: scratch");
  check(launched, "soft_target_cross_entropy: launch failed");
}

template void soft_target_cross_entropy<float>(const float*, const float*, const float*, float*, float*, std::int64_t, std::int64_t, double, void*);
template void soft_target_cross_entropy<double>(const double*, const double*, const double*, double*, double*, std::int64_t, std::int64_t, double,
                                                void*);

}  // namespace nnplug::cuda_kernels
