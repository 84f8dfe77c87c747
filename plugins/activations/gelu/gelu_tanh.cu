// gelu_tanh's CUDA kernels (gelu_tanh_cuda.hpp): one thread an element in a grid-stride loop, computed in the
// tensor's own type, as PyTorch computes its tanh-approximated GELU on a GPU.
#include "../../shared/cuda_launch.cuh"
#include "gelu_tanh_cuda.hpp"

namespace nnplug::cuda_kernels {

namespace {

constexpr double kScale = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kCubic = 0.044715;

template <typename T>
__global__ void gelu_tanh_kernel(const T* x, T* y, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) {
    const T v = x[i];
    y[i] = T(0.5) * v * (T(1) + tanh(T(kScale) * (v + T(kCubic) * v * v * v)));
  }
}

// d/dx: 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2 / pi) (1 + 3 0.044715 x^2).
template <typename T>
__global__ void gelu_tanh_grad_kernel(const T* x, const T* dy, T* dx, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) {
    const T v = x[i], t = tanh(T(kScale) * (v + T(kCubic) * v * v * v));
    dx[i] = dy[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * T(kScale) * (T(1) + T(3 * kCubic) * v * v));
  }
}

}  // namespace

template <typename T>
void gelu_tanh(const T* x, T* y, std::int64_t n, void* stream) {
  if (n == 0) return;
  gelu_tanh_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, y, n);
  check(cudaGetLastError(), "gelu_tanh: launch failed");
}

template <typename T>
void gelu_tanh_grad(const T* x, const T* dy, T* dx, std::int64_t n, void* stream) {
  if (n == 0) return;
  gelu_tanh_grad_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, dy, dx, n);
  check(cudaGetLastError(), "gelu_tanh_grad: launch failed");
}

template void gelu_tanh<float>(const float*, float*, std::int64_t, void*);
template void gelu_tanh<double>(const double*, double*, std::int64_t, void*);
template void gelu_tanh_grad<float>(const float*, const float*, float*, std::int64_t, void*);
template void gelu_tanh_grad<double>(const double*, const double*, double*, std::int64_t, void*);

}  // namespace nnplug::cuda_kernels
