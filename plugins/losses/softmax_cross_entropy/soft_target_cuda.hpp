#pragma once
// The CUDA kernel of the op soft_target_cross_entropy (soft_target.cu), as a plain launch function over device
// pointers: nvcc compiles it without any nnplug header, and softmax_cross_entropy.cpp wraps it as the op's "cuda"
// kernel. `stream` is the cudaStream_t the cuda backend hands its kernels; a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::cuda_kernels {

// logits z and targets t (n, c), class weights w (c): loss (1) the mean over the rows of the weighted cross-entropy
// with smoothed targets, dz (n, c) its gradient, as softmax_cross_entropy.cpp's CPU kernel computes them.
template <typename T>
void soft_target_cross_entropy(const T* z, const T* t, const T* w, T* loss, T* dz, std::int64_t n, std::int64_t c, double smoothing,
                               void* stream);

}  // namespace nnplug::cuda_kernels
