#pragma once
// LARS's step on the GPU (lars_step.cu), on the stream the cuda backend hands its kernels, each element as the CPU
// kernel takes it (lars_step.hpp); a failed launch throws std::runtime_error.
#include <cstdint>

#include "lars_step.hpp"

namespace nnplug::optimizers {

// squares: the parameter's and the gradient's sums of squares, on the device.
template <typename T>
void lars_step_cuda(const LarsStep& step, const T* grad, const T* squares, T* param, T* momentum_buffer, std::int64_t n, void* stream);

}  // namespace nnplug::optimizers
