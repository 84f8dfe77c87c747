#pragma once
// The CUDA kernels of this example's ops, as plain launch functions over device pointers (cuda_kernels.cu): nvcc
// compiles them without any nnplug header, and the plugins wrap them as kernels of their ops. `stream` is the
// cudaStream_t that the cuda backend hands its kernels (OpCall::stream).
#include <cstdint>

namespace custom_ops {

template <typename T>
void hardswish_cuda(const T* x, T* y, std::int64_t n, void* stream);
template <typename T>
void hardswish_grad_cuda(const T* x, const T* dy, T* dx, std::int64_t n, void* stream);
template <typename T>
void signum_step_cuda(const T* grad, T* param, T* momentum, std::int64_t n, double lr, double beta, double weight_decay,
                      void* stream);

}  // namespace custom_ops
