#pragma once
// The mean over the rows of a loss whose rows are independent (soft targets, a sample's cosine or divergence), on the
// GPU, for a loss's .cu file: a thread a row computes the row's loss and gradient, in double, into stream-ordered
// scratch; then one block adds the rows' losses in a fixed order, so that the mean does not change from run to run.
#include "../../shared/cuda_launch.cuh"

namespace nnplug::cuda_kernels {

namespace row_losses_detail {

template <typename RowLoss>
__global__ void rows_of_loss(RowLoss row_loss, double* losses, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) losses[i] = row_loss(i);
}

// One block: each thread adds every kThreads-th row, then thread 0 adds the threads' sums in order.
template <typename T>
__global__ void mean_of_rows(const double* losses, T* loss, std::int64_t n) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += losses[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x != 0) return;
  double total = 0.0;
  for (int k = 0; k < kThreads; ++k) total += partial[k];
  loss[0] = static_cast<T>(total / static_cast<double>(n));
}

}  // namespace row_losses_detail

// RowLoss: a struct whose __device__ operator()(std::int64_t row) writes that row's gradient and returns its loss.
// Writes the mean of the n rows' losses to loss[0]; `op` names the op in a failure's message. No rows: nothing to do.
template <typename RowLoss, typename T>
void mean_of_row_losses(const RowLoss& row_loss, T* loss, std::int64_t n, void* stream, const char* op) {
  if (n == 0) return;
  const auto queue = static_cast<cudaStream_t>(stream);
  const std::string what = std::string(op) + ": ";
  // Stream-ordered, so that a step graph records the allocation with the kernels; the pool keeps the memory between steps.
  double* losses = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&losses), static_cast<std::size_t>(n) * sizeof(double), queue), what + "scratch");
  row_losses_detail::rows_of_loss<<<blocks_for(n), kThreads, 0, queue>>>(row_loss, losses, n);
  row_losses_detail::mean_of_rows<<<1, kThreads, 0, queue>>>(losses, loss, n);
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(losses, queue), what + "scratch");
  check(launched, what + "launch failed");
}

}  // namespace nnplug::cuda_kernels
