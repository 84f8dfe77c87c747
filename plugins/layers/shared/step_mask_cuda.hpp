#pragma once
// The CUDA kernels of the recurrent layers' step-mask ops (step_mask.hpp) and of global_avg_pool1d's masked mean
// (masked_step_mean.hpp), as plain launch functions over device pointers (step_mask.cu): nvcc compiles them without
// any nnplug header. A step counts where one of its values is not zero. `stream` is the cudaStream_t the cuda
// backend hands its kernels; a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::cuda_kernels {

// kept (rows, units) 1 on the rows of x (rows, features) with a value that is not zero, else 0; skipped = 1 - kept.
template <typename T>
void step_mask(const T* x, T* kept, T* skipped, std::int64_t rows, std::int64_t features, std::int64_t units, void* stream);

// x (n, c, l), or (n, l, c) when channels_last: y (n, c) the mean of each channel over the sample's counted steps (0
// where none counts); its gradient dx, dy / (the counted steps) on each counted step and 0 on the rest.
template <typename T>
void masked_step_mean(const T* x, T* y, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last, void* stream);
template <typename T>
void masked_step_mean_grad(const T* x, const T* dy, T* dx, std::int64_t n, std::int64_t c, std::int64_t l, bool channels_last, void* stream);

}  // namespace nnplug::cuda_kernels
