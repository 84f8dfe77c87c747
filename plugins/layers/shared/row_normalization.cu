// layer_norm's and rms_norm's CUDA kernels (row_normalization_cuda.hpp). The forward pass gives each row a block of
// threads: its statistics are block-wide sums, then each thread writes its share of the row. The gradient takes three
// launches: each row's mean and rstd into a scratch buffer; the parameters' gradients, column sums over the rows that
// read x and dy; then dx. Computing dx last keeps the kernels right where dx is dy's or x's own memory, as the CPU
// kernels are.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "row_normalization_cuda.hpp"

namespace nnplug::cuda_kernels {

namespace {

constexpr int kMaxRowThreads = 256;
constexpr std::int64_t kMaxRowBlocks = 1 << 20;  // more rows are taken in turn by the same blocks
constexpr int kColumns = 32, kRowGroups = 16;     // a parameter-gradient block: 32 columns, 16 rows at a time

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// Threads for one row: whole warps, no more than the row has values (up to 256).
int row_threads(std::int64_t d) {
  int threads = 32;
  while (threads < kMaxRowThreads && threads < d) threads *= 2;
  return threads;
}

int row_blocks(std::int64_t n) { return static_cast<int>(n < kMaxRowBlocks ? n : kMaxRowBlocks); }

// The sum of v over the block's threads, the same in each: every warp sums by shuffles, then every thread adds the
// warps' sums in the same order, so that the result does not depend on timing. `partial` holds one value a warp.
__device__ double block_sum(double v, double* partial) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  __syncthreads();  // every thread has read the previous call's partial sums
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  double total = 0.0;
  for (unsigned w = 0; w < blockDim.x / 32; ++w) total += partial[w];
  return total;
}

// A row's mean (0 when not centred) and 1 / sqrt(mean of squared deviations + eps), two passes as the CPU kernels.
template <typename T>
__device__ double2 row_statistics(const T* x, std::int64_t d, double eps, bool centred, double* partial) {
  double mean = 0.0;
  if (centred) {
    double sum = 0.0;
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) sum += static_cast<double>(x[j]);
    mean = block_sum(sum, partial) / static_cast<double>(d);
  }
  double squares = 0.0;
  for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const double c = static_cast<double>(x[j]) - mean;
    squares += c * c;
  }
  return make_double2(mean, 1.0 / sqrt(block_sum(squares, partial) / static_cast<double>(d) + eps));
}

template <typename T>
__global__ void normalize_rows(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t d, double eps, bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  for (std::int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const T* xr = x + row * d;
    const double2 s = row_statistics(xr, d, eps, centred, partial);
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double shift = bias ? static_cast<double>(bias[j]) : 0.0;
      y[row * d + j] = static_cast<T>((static_cast<double>(xr[j]) - s.x) * s.y * static_cast<double>(weight[j]) + shift);
    }
  }
}

template <typename T>
__global__ void statistics_of_rows(const T* x, double2* stats, std::int64_t n, std::int64_t d, double eps, bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  for (std::int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const double2 s = row_statistics(x + row * d, d, eps, centred, partial);
    if (threadIdx.x == 0) stats[row] = s;
  }
}

// dweight[j] = sum_i dy x̂ and dbias[j] = sum_i dy: each thread sums every 16th row of its column, then the block
// adds the 16 partial sums in order.
template <typename T>
__global__ void parameter_gradients(const T* x, const T* dy, const double2* stats, T* dweight, T* dbias, std::int64_t n, std::int64_t d) {
  __shared__ double weight_sums[kRowGroups][kColumns], bias_sums[kRowGroups][kColumns];
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * kColumns + threadIdx.x;
  double w = 0.0, b = 0.0;
  if (j < d)
    for (std::int64_t i = threadIdx.y; i < n; i += kRowGroups) {
      const double g = static_cast<double>(dy[i * d + j]);
      w += g * (static_cast<double>(x[i * d + j]) - stats[i].x) * stats[i].y;
      b += g;
    }
  weight_sums[threadIdx.y][threadIdx.x] = w;
  bias_sums[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y != 0 || j >= d) return;
  for (int k = 1; k < kRowGroups; ++k) w += weight_sums[k][threadIdx.x], b += bias_sums[k][threadIdx.x];
  dweight[j] = static_cast<T>(w);
  if (dbias) dbias[j] = static_cast<T>(b);
}

template <typename T>
__global__ void input_gradients(const T* x, const T* weight, const T* dy, const double2* stats, T* dx, std::int64_t n, std::int64_t d,
                                bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  for (std::int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const T *xr = x + row * d, *dyr = dy + row * d;
    const double2 s = stats[row];
    double g_sum = 0.0, gx_sum = 0.0;
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double g = static_cast<double>(dyr[j]) * static_cast<double>(weight[j]);
      g_sum += g;
      gx_sum += g * (static_cast<double>(xr[j]) - s.x) * s.y;
    }
    const double g_mean = centred ? block_sum(g_sum, partial) / static_cast<double>(d) : 0.0;
    const double gx_mean = block_sum(gx_sum, partial) / static_cast<double>(d);
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double xhat = (static_cast<double>(xr[j]) - s.x) * s.y, g = static_cast<double>(dyr[j]) * static_cast<double>(weight[j]);
      dx[row * d + j] = static_cast<T>(s.y * (g - g_mean - xhat * gx_mean));
    }
  }
}

}  // namespace

template <typename T>
void row_normalization(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t d, double eps, bool centred, void* stream) {
  if (n == 0) return;
  normalize_rows<<<row_blocks(n), row_threads(d), 0, static_cast<cudaStream_t>(stream)>>>(x, weight, bias, y, n, d, eps, centred);
  check(cudaGetLastError(), "row normalization: launch failed");
}

template <typename T>
void row_normalization_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, std::int64_t n, std::int64_t d, double eps,
                            bool centred, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  if (n == 0) {  // no rows: the parameters' gradients are empty sums
    check(cudaMemsetAsync(dweight, 0, static_cast<std::size_t>(d) * sizeof(T), s), "row normalization gradient");
    if (dbias) check(cudaMemsetAsync(dbias, 0, static_cast<std::size_t>(d) * sizeof(T), s), "row normalization gradient");
    return;
  }
  // Stream-ordered, so that a step graph records the allocation with the kernels; the pool keeps the memory between steps.
  double2* stats = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&stats), static_cast<std::size_t>(n) * sizeof(double2), s), "row normalization gradient: scratch");
  statistics_of_rows<<<row_blocks(n), row_threads(d), 0, s>>>(x, stats, n, d, eps, centred);
  parameter_gradients<<<static_cast<unsigned>((d + kColumns - 1) / kColumns), dim3(kColumns, kRowGroups), 0, s>>>(x, dy, stats, dweight, dbias, n, d);
  input_gradients<<<row_blocks(n), row_threads(d), 0, s>>>(x, weight, dy, stats, dx, n, d, centred);
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(stats, s), "row normalization gradient: scratch");
  check(launched, "row normalization gradient: launch failed");
}

template void row_normalization<float>(const float*, const float*, const float*, float*, std::int64_t, std::int64_t, double, bool, void*);
template void row_normalization<double>(const double*, const double*, const double*, double*, std::int64_t, std::int64_t, double, bool, void*);
template void row_normalization_grad<float>(const float*, const float*, const float*, float*, float*, float*, std::int64_t, std::int64_t, double,
                                            bool, void*);
template void row_normalization_grad<double>(const double*, const double*, const double*, double*, double*, double*, std::int64_t, std::int64_t,
                                             double, bool, void*);

}  // namespace nnplug::cuda_kernels
