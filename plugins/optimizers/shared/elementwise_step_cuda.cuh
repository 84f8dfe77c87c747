#pragma once
// elementwise_step_cuda's definition, for an optimizer's .cu file to instantiate with its Step (whose operator() is
// NNPLUG_HOST_DEVICE): one thread an element in a grid-stride loop, as the CPU kernel's loop.
#include "../../shared/cuda_launch.cuh"
#include "elementwise_step_cuda.hpp"

namespace nnplug::optimizers {

namespace elementwise_step_detail {

template <std::size_t Slots, typename Step, typename T>
__global__ void step_elements(Step step, const T* grad, T* param, T* a, T* b, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) {
    if constexpr (Slots == 2) step(static_cast<double>(grad[i]), param[i], a[i], b[i]);
    else step(static_cast<double>(grad[i]), param[i], a[i]);
  }
}

}  // namespace elementwise_step_detail

template <std::size_t Slots, typename Step, typename T>
void elementwise_step_cuda(const Step& step, const T* grad, T* const* out, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  T* second = nullptr;
  if constexpr (Slots == 2) second = out[2];
  elementwise_step_detail::step_elements<Slots, Step, T>
      <<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, grad, out[0], out[1], second, n);
  check(cudaGetLastError(), "optimizer step: launch failed");
}

}  // namespace nnplug::optimizers
