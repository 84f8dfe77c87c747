// The step masks' CUDA kernels (step_mask_cuda.hpp): one thread an output value in grid-stride loops. Whether a step
// counts is found once a step, into a scratch buffer, where more than one value reads it (the masked mean), and the
// gradient counts each sample's steps once.
#include "../../shared/cuda_launch.cuh"
#include "step_mask_cuda.hpp"

namespace nnplug::cuda_kernels {

namespace {

template <typename T>
__global__ void step_mask_kernel(const T* x, T* kept, T* skipped, std::int64_t rows, std::int64_t features, std::int64_t units) {
  NNPLUG_GRID_STRIDE(i, rows * units) {
    const T* row = x + i / units * features;
    bool counts = false;
    for (std::int64_t f = 0; f < features && !counts; ++f) counts = row[f] != T(0);
    kept[i] = counts ? T(1) : T(0);
    skipped[i] = counts ? T(0) : T(1);
  }
}

// The value of sample s's step t in channel k.
__device__ std::int64_t at(std::int64_t s, std::int64_t t, std::int64_t k, std::int64_t c, std::int64_t l, bool channels_last) {
  return channels_last ? (s * l + t) * c + k : (s * c + k) * l + t;
}

// counted[s * l + t]: 1 where step t of sample s has a value that is not zero.
template <typename T>
__global__ void counted_steps(const T* x, unsigned char* counted, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last) {
  NNPLUG_GRID_STRIDE(i, n * l) {
    const std::int64_t s = i / l, t = i % l;
    bool counts = false;
    for (std::int64_t k = 0; k < c && !counts; ++k) counts = x[at(s, t, k, c, l, channels_last)] != T(0);
    counted[i] = counts;
  }
}

template <typename T>
__global__ void masked_mean(const T* x, const unsigned char* counted, T* y, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last) {
  NNPLUG_GRID_STRIDE(i, n * c) {
    const std::int64_t s = i / c, k = i % c;
    double sum = 0.0;
    std::int64_t count = 0;
    for (std::int64_t t = 0; t < l; ++t)
      if (counted[s * l + t]) sum += static_cast<double>(x[at(s, t, k, c, l, channels_last)]), ++count;
    y[i] = static_cast<T>(count ? sum / static_cast<double>(count) : 0.0);
  }
}

// counts[s]: how many of sample s's steps count.
__global__ void steps_per_sample(const unsigned char* counted, std::int64_t* counts, std::int64_t n, std::int64_t l) {
  NNPLUG_GRID_STRIDE(s, n) {
    std::int64_t count = 0;
    for (std::int64_t t = 0; t < l; ++t) count += counted[s * l + t];
    counts[s] = count;
  }
}

template <typename T>
__global__ void masked_mean_grad(const unsigned char* counted, const std::int64_t* counts, const T* dy, T* dx, std::int64_t n, std::int64_t c,
                                 std::int64_t l, bool channels_last) {
  NNPLUG_GRID_STRIDE(i, n * c * l) {  // i runs over dx in memory order
    const std::int64_t s = i / (c * l), k = channels_last ? i % c : i / l % c, t = channels_last ? i / c % l : i % l;
    dx[i] = counted[s * l + t] ? static_cast<T>(static_cast<double>(dy[s * c + k]) / static_cast<double>(counts[s])) : T(0);
  }
}

// The counted steps of x, in stream-ordered scratch memory (a step graph records it with the kernels), after room
// for a count per sample.
template <typename T>
unsigned char* count_steps(const T* x, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last, cudaStream_t stream) {
  unsigned char* scratch = nullptr;
  const std::size_t bytes = static_cast<std::size_t>(n) * (sizeof(std::int64_t) + static_cast<std::size_t>(l));
  check(cudaMallocAsync(reinterpret_cast<void**>(&scratch), bytes, stream), "masked_step_mean: scratch");
  counted_steps<<<blocks_for(n * l), kThreads, 0, stream>>>(x, scratch + n * sizeof(std::int64_t), n, c, l, channels_last);
  return scratch;
}

void release(unsigned char* scratch, cudaStream_t stream, const char* op) {
  const cudaError_t launched = cudaGetLastError();
  check(cudaFreeAsync(scratch, stream), op);
  check(launched, op);
}

}  // namespace

template <typename T>
void step_mask(const T* x, T* kept, T* skipped, std::int64_t rows, std::int64_t features, std::int64_t units, void* stream) {
  if (rows * units == 0) return;
  step_mask_kernel<<<blocks_for(rows * units), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, kept, skipped, rows, features, units);
  check(cudaGetLastError(), "step mask: launch failed");
}

template <typename T>
void masked_step_mean(const T* x, T* y, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last, void* stream) {
  if (n * c == 0) return;
  if (l == 0) {  // no steps: every mean is 0
    check(cudaMemsetAsync(y, 0, static_cast<std::size_t>(n * c) * sizeof(T), static_cast<cudaStream_t>(stream)), "masked_step_mean");
    return;
  }
  const auto queue = static_cast<cudaStream_t>(stream);
  unsigned char* scratch = count_steps(x, n, c, l, channels_last, queue);
  masked_mean<<<blocks_for(n * c), kThreads, 0, queue>>>(x, scratch + n * sizeof(std::int64_t), y, n, c, l, channels_last);
  release(scratch, queue, "masked_step_mean");
}

template <typename T>
void masked_step_mean_grad(const T* x, const T* dy, T* dx, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last, void* stream) {
  if (n * c * l == 0) return;
  const auto queue = static_cast<cudaStream_t>(stream);
  unsigned char* scratch = count_steps(x, n, c, l, channels_last, queue);
  auto* counts = reinterpret_cast<std::int64_t*>(scratch);
  steps_per_sample<<<blocks_for(n), kThreads, 0, queue>>>(scratch + n * sizeof(std::int64_t), counts, n, l);
  masked_mean_grad<<<blocks_for(n * c * l), kThreads, 0, queue>>>(scratch + n * sizeof(std::int64_t), counts, dy, dx, n, c, l, channels_last);
  release(scratch, queue, "masked_step_mean_grad");
}

template void step_mask<float>(const float*, float*, float*, std::int64_t, std::int64_t, std::int64_t, void*);
template void step_mask<double>(const double*, double*, double*, std::int64_t, std::int64_t, std::int64_t, void*);
template void masked_step_mean<float>(const float*, float*, std::int64_t, std::int64_t, std::int64_t, bool, void*);
template void masked_step_mean<double>(const double*, double*, std::int64_t, std::int64_t, std::int64_t, bool, void*);
template void masked_step_mean_grad<float>(const float*, const float*, float*, std::int64_t, std::int64_t, std::int64_t, bool, void*);
template void masked_step_mean_grad<double>(const double*, const double*, double*, std::int64_t, std::int64_t, std::int64_t, bool, void*);

}  // namespace nnplug::cuda_kernels
