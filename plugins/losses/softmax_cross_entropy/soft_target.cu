// soft_target_cross_entropy's CUDA kernel (soft_target_cuda.hpp): a thread a row computes the row's loss and
// gradient with the CPU kernel's arithmetic, in double; then one block adds the rows' losses in a fixed order, so that
// the mean does not change from run to run.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "soft_target_cuda.hpp"

namespace nnplug::cuda_kernels {

namespace {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096;

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string("soft_target_cross_entropy: ") + what + ": " + cudaGetErrorString(status));
}

template <typename T>
__global__ void rows_of_loss(const T* z, const T* t, const T* w, T* dz, double* row_loss, std::int64_t n, std::int64_t c, double smoothing) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const T *zi = z + i * c, *ti = t + i * c;
    double top = static_cast<double>(zi[0]);
    for (std::int64_t j = 1; j < c; ++j) top = fmax(top, static_cast<double>(zi[j]));
    double sum = 0.0;
    for (std::int64_t j = 0; j < c; ++j) sum += exp(static_cast<double>(zi[j]) - top);
    const double log_sum = top + log(sum);
    double weighted_mass = 0.0, total = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double target = (1 - smoothing) * static_cast<double>(ti[j]) + smoothing / static_cast<double>(c);
      weighted_mass += static_cast<double>(w[j]) * target;
      total -= static_cast<double>(w[j]) * target * (static_cast<double>(zi[j]) - log_sum);
    }
    for (std::int64_t j = 0; j < c; ++j) {
      const double target = (1 - smoothing) * static_cast<double>(ti[j]) + smoothing / static_cast<double>(c);
      const double p = exp(static_cast<double>(zi[j]) - log_sum);
      dz[i * c + j] = static_cast<T>((p * weighted_mass - static_cast<double>(w[j]) * target) / static_cast<double>(n));
    }
    row_loss[i] = total;
  }
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
  check(cudaMallocAsync(reinterpret_cast<void**>(&row_loss), static_cast<std::size_t>(n) * sizeof(double), queue), "scratch");
  const std::int64_t wanted = (n + kThreads - 1) / kThreads;
  rows_of_loss<<<static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks), kThreads, 0, queue>>>(z, t, w, dz, row_loss, n, c, smoothing);
  mean_of_rows<<<1, kThreads, 0, queue>>>(row_loss, loss, n);
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(row_loss, queue), "scratch");
  check(launched, "launch failed");
}

template void soft_target_cross_entropy<float>(const float*, const float*, const float*, float*, float*, std::int64_t, std::int64_t, double, void*);
template void soft_target_cross_entropy<double>(const double*, const double*, const double*, double*, double*, std::int64_t, std::int64_t, double,
                                                void*);

}  // namespace nnplug::cuda_kernels
