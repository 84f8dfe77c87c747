#pragma once
// The CUDA kernel of an elementwise step op (elementwise_step_op.hpp): Step applied to each element on the GPU, on the
// stream the cuda backend hands its kernels. Defined in elementwise_step_cuda.cuh, which each optimizer's .cu file
// includes and instantiates for its own Step; a failed launch throws std::runtime_error.
#include <cstddef>
#include <cstdint>

namespace nnplug::optimizers {

// `out` holds the parameter, then the Slots slots, each of n elements on the device.
template <std::size_t Slots, typename Step, typename T>
void elementwise_step_cuda(const Step& step, const T* grad, T* const* out, std::int64_t n, void* stream);

}  // namespace nnplug::optimizers
