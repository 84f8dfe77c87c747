#pragma once
// LAMB's two passes on the GPU (lamb_step.cu), on the stream the cuda backend hands its kernels, each element as the
// CPU kernels take it (lamb_step.hpp); a failed launch throws std::runtime_error.
#include <cstdint>

#include "lamb_step.hpp"

namespace nnplug::optimizers {

template <typename T>
void lamb_direction_cuda(const LambDirection& step, const T* grad, const T* param, T* exp_avg, T* exp_avg_sq, T* direction,
                         std::int64_t n, void* stream);
// squares: the parameter's and the direction's sums of squares, on the device.
template <typename T>
void lamb_trust_step_cuda(const LambTrustStep& step, const T* direction, const T* squares, T* param, std::int64_t n, void* stream);

}  // namespace nnplug::optimizers
