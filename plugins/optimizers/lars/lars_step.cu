// LARS's step on the GPU: one thread an element in a grid-stride loop, as the CPU kernel's loop.
#include "../../shared/cuda_launch.cuh"
#include "lars_step_cuda.hpp"

namespace nnplug::optimizers {

namespace {

// Every thread reads the two sums: the ratio never leaves the device, so a recorded step replays it.
template <typename T>
__global__ void step_elements(LarsStep step, const T* grad, const T* squares, T* param, T* momentum_buffer, std::int64_t n) {
  const double trust = step.trust_ratio(static_cast<double>(squares[0]), static_cast<double>(squares[1]));
  NNPLUG_GRID_STRIDE(i, n) step(static_cast<double>(grad[i]), trust, param[i], momentum_buffer[i]);
}

}  // namespace

template <typename T>
void lars_step_cuda(const LarsStep& step, const T* grad, const T* squares, T* param, T* momentum_buffer, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  step_elements<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, grad, squares, param, momentum_buffer, n);
  check(cudaGetLastError(), "lars_step: launch failed");
}

template void lars_step_cuda<float>(const LarsStep&, const float*, const float*, float*, float*, std::int64_t, void*);
template void lars_step_cuda<double>(const LarsStep&, const double*, const double*, double*, double*, std::int64_t, void*);

}  // namespace nnplug::optimizers
