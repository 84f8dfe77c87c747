#pragma once
// elementwise_step_cuda's definition, for an optimizer's .cu file to instantiate with its Step (whose operator() is
// NNPLUG_HOST_DEVICE): one thread an element in a grid-stride loop, as the CPU kernel's loop.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "elementwise_step_cuda.hpp"

namespace nnplug::optimizers {

namespace elementwise_step_detail {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096;

template <std::size_t Slots, typename Step, typename T>
__global__ void step_elements(Step step, const T* grad, T* param, T* a, T* b, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    if constexpr (Slots == 2) step(static_cast<double>(grad[i]), param[i], a[i], b[i]);
    else step(static_cast<double>(grad[i]), param[i], a[i]);
  }
}

}  // namespace elementwise_step_detail

template <std::size_t Slots, typename Step, typename T>
void elementwise_step_cuda(const Step& step, const T* grad, T* const* out, std::int64_t n, void* stream) {
  using namespace elementwise_step_detail;
  if (n == 0) return;
  const std::int64_t wanted = (n + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks);
  T* second = nullptr;
  if constexpr (Slots == 2) second = out[2];
  step_elements<Slots, Step, T><<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, grad, out[0], out[1], second, n);
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw std::runtime_error(std::string("optimizer step: launch failed: ") + cudaGetErrorString(status));
}

}  // namespace nnplug::optimizers
