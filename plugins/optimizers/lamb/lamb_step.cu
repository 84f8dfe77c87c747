// LAMB's two passes on the GPU: one thread an element in a grid-stride loop, as the CPU kernels' loops.
#include "../../shared/cuda_launch.cuh"
#include "lamb_step_cuda.hpp"

namespace nnplug::optimizers {

namespace {

template <typename T>
__global__ void direction_elements(LambDirection step, const T* grad, const T* param, T* exp_avg, T* exp_avg_sq, T* direction,
                                   std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) step(static_cast<double>(grad[i]), static_cast<double>(param[i]), exp_avg[i], exp_avg_sq[i], direction[i]);
}

// Every thread reads the two sums: the ratio never leaves the device, so a recorded step replays it.
template <typename T>
__global__ void trust_step_elements(LambTrustStep step, const T* direction, const T* squares, T* param, std::int64_t n) {
  const double scale = step.scale(static_cast<double>(squares[0]), static_cast<double>(squares[1]));
  NNPLUG_GRID_STRIDE(i, n) LambTrustStep::apply(scale, static_cast<double>(direction[i]), param[i]);
}

}  // namespace

template <typename T>
void lamb_direction_cuda(const LambDirection& step, const T* grad, const T* param, T* exp_avg, T* exp_avg_sq, T* direction,
                         std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  direction_elements<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, grad, param, exp_avg, exp_avg_sq, direction, n);
  check(cudaGetLastError(), "lamb_direction: launch failed");
}

template <typename T>
void lamb_trust_step_cuda(const LambTrustStep& step, const T* direction, const T* squares, T* param, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  trust_step_elements<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, direction, squares, param, n);
  check(cudaGetLastError(), "lamb_trust_step: launch failed");
}

template void lamb_direction_cuda<float>(const LambDirection&, const float*, const float*, float*, float*, float*, std::int64_t, void*);
template void lamb_direction_cuda<double>(const LambDirection&, const double*, const double*, double*, double*, double*, std::int64_t, void*);
template void lamb_trust_step_cuda<float>(const LambTrustStep&, const float*, const float*, float*, std::int64_t, void*);
template void lamb_trust_step_cuda<double>(const LambTrustStep&, const double*, const double*, double*, std::int64_t, void*);

}  // namespace nnplug::optimizers
