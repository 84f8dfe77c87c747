#pragma once
// The CUDA kernels of the ops gelu_tanh and gelu_tanh_grad (gelu_tanh.cu), as plain launch functions over device
// pointers: nvcc compiles them without any nnplug header, and gelu.cpp wraps them as the ops' "cuda" kernels.
// `stream` is the cudaStream_t the cuda backend hands its kernels; a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::cuda_kernels {

// y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), element by element.
template <typename T>
void gelu_tanh(const T* x, T* y, std::int64_t n, void* stream);
// dx = dy * d/dx gelu_tanh(x).
template <typename T>
void gelu_tanh_grad(const T* x, const T* dy, T* dx, std::int64_t n, void* stream);

}  // namespace nnplug::cuda_kernels
