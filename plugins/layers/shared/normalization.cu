// layer_norm's, rms_norm's and group_norm's CUDA kernels (normalization_cuda.hpp). The forward pass gives each group
// of values (a "row") a block of threads: its statistics are block-wide sums, then each thread writes its share of
// the row. The gradient takes three launches: each row's mean and rstd into a scratch buffer; the parameters'
// gradients, sums per channel over the samples and positions that read x and dy; then dx. Computing dx last keeps the
// kernels right where dx is dy's or x's own memory, as the CPU kernels are.
#include "../../shared/cuda_launch.cuh"
#include "normalization_cuda.hpp"

namespace nnplug::cuda_kernels {

namespace {

constexpr int kMaxRowThreads = 256;
constexpr std::int64_t kMaxRowBlocks = 1 << 20;  // more rows are taken in turn by the same blocks
constexpr int kChannels = 32, kPartSums = 16;     // a parameter-gradient block: 32 channels, 16 partial sums each

// (N, C, S) in N·groups rows of C / groups channels of S positions.
struct Layout {
  std::int64_t n, c, s, groups;
  __host__ __device__ std::int64_t rows() const { return n * groups; }
  __host__ __device__ std::int64_t row_values() const { return c / groups * s; }
  // The channel of a row's value j, whose weight and bias it takes.
  __device__ std::int64_t channel(std::int64_t row, std::int64_t j) const { return row % groups * (c / groups) + j / s; }
};

// Threads for one row: whole warps, no more than the row has values (up to 256).
int row_threads(std::int64_t values) {
  int threads = 32;
  while (threads < kMaxRowThreads && threads < values) threads *= 2;
  return threads;
}

int row_blocks(std::int64_t rows) { return static_cast<int>(rows < kMaxRowBlocks ? rows : kMaxRowBlocks); }

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
    const double deviation = static_cast<double>(x[j]) - mean;
    squares += deviation * deviation;
  }
  return make_double2(mean, 1.0 / sqrt(block_sum(squares, partial) / static_cast<double>(d) + eps));
}

template <typename T>
__global__ void normalize_rows(const T* x, const T* weight, const T* bias, T* y, Layout layout, double eps, bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  const std::int64_t d = layout.row_values();
  for (std::int64_t row = blockIdx.x; row < layout.rows(); row += gridDim.x) {
    const T* xr = x + row * d;
    const double2 s = row_statistics(xr, d, eps, centred, partial);
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const std::int64_t c = layout.channel(row, j);
      const double shift = bias ? static_cast<double>(bias[c]) : 0.0;
      y[row * d + j] = static_cast<T>((static_cast<double>(xr[j]) - s.x) * s.y * static_cast<double>(weight[c]) + shift);
    }
  }
}

template <typename T>
__global__ void statistics_of_rows(const T* x, double2* stats, Layout layout, double eps, bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  const std::int64_t d = layout.row_values();
  for (std::int64_t row = blockIdx.x; row < layout.rows(); row += gridDim.x) {
    const double2 s = row_statistics(x + row * d, d, eps, centred, partial);
    if (threadIdx.x == 0) stats[row] = s;
  }
}

// dweight[c] = sum of dy x̂ and dbias[c] = sum of dy over the samples and the channel's positions, where a channel has
// one position (layer and RMS norm): consecutive threads take consecutive channels, each summing every 16th sample
// of its channel, then the block adds the 16 partial sums in order.
template <typename T>
__global__ void parameter_gradients(const T* x, const T* dy, const double2* stats, T* dweight, T* dbias, Layout layout) {
  __shared__ double weight_sums[kPartSums][kChannels], bias_sums[kPartSums][kChannels];
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kChannels + threadIdx.x, group = c / (layout.c / layout.groups);
  double w = 0.0, b = 0.0;
  if (c < layout.c)
    for (std::int64_t m = threadIdx.y; m < layout.n * layout.s; m += kPartSums) {
      const std::int64_t sample = m / layout.s, i = (sample * layout.c + c) * layout.s + m % layout.s;
      const double2 s = stats[sample * layout.groups + group];
      const double g = static_cast<double>(dy[i]);
      w += g * (static_cast<double>(x[i]) - s.x) * s.y;
      b += g;
    }
  weight_sums[threadIdx.y][threadIdx.x] = w;
  bias_sums[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y != 0 || c >= layout.c) return;
  for (int k = 1; k < kPartSums; ++k) w += weight_sums[k][threadIdx.x], b += bias_sums[k][threadIdx.x];
  dweight[c] = static_cast<T>(w);
  if (dbias) dbias[c] = static_cast<T>(b);
}

// The same sums where a channel has several positions (group norm over a feature map): a block a channel, whose
// consecutive threads read the channel's consecutive positions, then two block-wide sums. The kernel above would have
// consecutive threads read values S apart.
template <typename T>
__global__ void channel_gradients(const T* x, const T* dy, const double2* stats, T* dweight, T* dbias, Layout layout) {
  __shared__ double partial[kMaxRowThreads / 32];
  for (std::int64_t c = blockIdx.x; c < layout.c; c += gridDim.x) {
    const std::int64_t group = c / (layout.c / layout.groups);
    double w = 0.0, b = 0.0;
    for (std::int64_t m = threadIdx.x; m < layout.n * layout.s; m += blockDim.x) {
      const std::int64_t sample = m / layout.s, i = (sample * layout.c + c) * layout.s + m % layout.s;
      const double2 s = stats[sample * layout.groups + group];
      const double g = static_cast<double>(dy[i]);
      w += g * (static_cast<double>(x[i]) - s.x) * s.y;
      b += g;
    }
    w = block_sum(w, partial);
    b = block_sum(b, partial);
    if (threadIdx.x != 0) continue;
    dweight[c] = static_cast<T>(w);
    if (dbias) dbias[c] = static_cast<T>(b);
  }
}

template <typename T>
__global__ void input_gradients(const T* x, const T* weight, const T* dy, const double2* stats, T* dx, Layout layout, bool centred) {
  __shared__ double partial[kMaxRowThreads / 32];
  const std::int64_t d = layout.row_values();
  for (std::int64_t row = blockIdx.x; row < layout.rows(); row += gridDim.x) {
    const T *xr = x + row * d, *dyr = dy + row * d;
    const double2 s = stats[row];
    double g_sum = 0.0, gx_sum = 0.0;
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double g = static_cast<double>(dyr[j]) * static_cast<double>(weight[layout.channel(row, j)]);
      g_sum += g;
      gx_sum += g * (static_cast<double>(xr[j]) - s.x) * s.y;
    }
    const double g_mean = centred ? block_sum(g_sum, partial) / static_cast<double>(d) : 0.0;
    const double gx_mean = block_sum(gx_sum, partial) / static_cast<double>(d);
    for (std::int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double xhat = (static_cast<double>(xr[j]) - s.x) * s.y;
      const double g = static_cast<double>(dyr[j]) * static_cast<double>(weight[layout.channel(row, j)]);
      dx[row * d + j] = static_cast<T>(s.y * (g - g_mean - xhat * gx_mean));
    }
  }
}

}  // namespace

template <typename T>
void normalization(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t c, std::int64_t s, std::int64_t groups,
                   double eps, bool centred, void* stream) {
  const Layout layout{n, c, s, groups};
  if (layout.rows() == 0 || layout.row_values() == 0) return;
  normalize_rows<<<row_blocks(layout.rows()), row_threads(layout.row_values()), 0, static_cast<cudaStream_t>(stream)>>>(x, weight, bias, y, layout,
                                                                                                                          eps, centred);
  check(cudaGetLastError(), "normalization: launch failed");
}

template <typename T>
void normalization_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, std::int64_t n, std::int64_t c, std::int64_t s,
                        std::int64_t groups, double eps, bool centred, void* stream) {
  const Layout layout{n, c, s, groups};
  const auto queue = static_cast<cudaStream_t>(stream);
  if (layout.rows() == 0 || layout.row_values() == 0) {  // no values: the parameters' gradients are empty sums
    check(cudaMemsetAsync(dweight, 0, static_cast<std::size_t>(c) * sizeof(T), queue), "normalization gradient");
    if (dbias) check(cudaMemsetAsync(dbias, 0, static_cast<std::size_t>(c) * sizeof(T), queue), "normalization gradient");
    return;
  }
  // Stream-ordered, so that a step graph records the allocation with the kernels; the pool keeps the memory between steps.
  double2* stats = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&stats), static_cast<std::size_t>(layout.rows()) * sizeof(double2), queue),
        "normalization gradient: scratch");
  const int blocks = row_blocks(layout.rows()), threads = row_threads(layout.row_values());
  statistics_of_rows<<<blocks, threads, 0, queue>>>(x, stats, layout, eps, centred);
  if (s == 1)
    parameter_gradients<<<static_cast<unsigned>((c + kChannels - 1) / kChannels), dim3(kChannels, kPartSums), 0, queue>>>(x, dy, stats, dweight,
                                                                                                                          dbias, layout);
  else
    channel_gradients<<<row_blocks(c), row_threads(n * s), 0, queue>>>(x, dy, stats, dweight, dbias, layout);
  input_gradients<<<blocks, threads, 0, queue>>>(x, weight, dy, stats, dx, layout, centred);
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(stats, queue), "normalization gradient: scratch");
  check(launched, "normalization gradient: launch failed");
}

template void normalization<float>(const float*, const float*, const float*, float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, double,
                                   bool, void*);
template void normalization<double>(const double*, const double*, const double*, double*, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                                    double, bool, void*);
template void normalization_grad<float>(const float*, const float*, const float*, float*, float*, float*, std::int64_t, std::int64_t, std::int64_t,
                                        std::int64_t, double, bool, void*);
template void normalization_grad<double>(const double*, const double*, const double*, double*, double*, double*, std::int64_t, std::int64_t,
                                         std::int64_t, std::int64_t, double, bool, void*);

}  // namespace nnplug::cuda_kernels
