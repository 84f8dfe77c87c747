// The CUDA kernels of hardswish and signum_step: one thread per element, grid-stride loops, launched on the
// backend's stream so that they run in order with its other ops and a step graph captures them.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_kernels.hpp"

namespace custom_ops {

namespace {

constexpr int kThreads = 256;

int blocks(std::int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads < 4096 ? (n + kThreads - 1) / kThreads : 4096); }

void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string(kernel) + ": launch failed: " + cudaGetErrorString(e));
}

template <typename T>
__global__ void hardswish_kernel(const T* x, T* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const T v = x[i];
    y[i] = v <= T(-3) ? T(0) : v >= T(3) ? v : v * (v + T(3)) / T(6);
  }
}

template <typename T>
__global__ void hardswish_grad_kernel(const T* x, const T* dy, T* dx, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const T v = x[i];
    dx[i] = v < T(-3) ? T(0) : v <= T(3) ? dy[i] * (v / T(3) + T(0.5)) : dy[i];
  }
}

template <typename T>
__global__ void signum_step_kernel(const T* grad, T* param, T* momentum, std::int64_t n, T lr, T beta, T weight_decay) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const T g = grad[i] + weight_decay * param[i];
    const T m = beta * momentum[i] + (T(1) - beta) * g;
    momentum[i] = m;
    param[i] -= lr * (m > T(0) ? T(1) : m < T(0) ? T(-1) : T(0));
  }
}

}  // namespace

template <typename T>
void hardswish_cuda(const T* x, T* y, std::int64_t n, void* stream) {
  if (n == 0) return;
  hardswish_kernel<<<blocks(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, y, n);
  check_launch("hardswish");
}

template <typename T>
void hardswish_grad_cuda(const T* x, const T* dy, T* dx, std::int64_t n, void* stream) {
  if (n == 0) return;
  hardswish_grad_kernel<<<blocks(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, dy, dx, n);
  check_launch("hardswish_grad");
}

template <typename T>
void signum_step_cuda(const T* grad, T* param, T* momentum, std::int64_t n, double lr, double beta, double weight_decay, void* stream) {
  if (n == 0) return;
  signum_step_kernel<<<blocks(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(grad, param, momentum, n, static_cast<T>(lr),
                                                                                    static_cast<T>(beta), static_cast<T>(weight_decay));
  check_launch("signum_step");
}

template void hardswish_cuda<float>(const float*, float*, std::int64_t, void*);
template void hardswish_cuda<double>(const double*, double*, std::int64_t, void*);
template void hardswish_grad_cuda<float>(const float*, const float*, float*, std::int64_t, void*);
template void hardswish_grad_cuda<double>(const double*, const double*, double*, std::int64_t, void*);
template void signum_step_cuda<float>(const float*, float*, float*, std::int64_t, double, double, double, void*);
template void signum_step_cuda<double>(const double*, double*, double*, std::int64_t, double, double, double, void*);

}  // namespace custom_ops
