// adaptive_max_pool2d's ops on the GPU: a thread an output cell forward, a thread a plane backward (whose windows may
// overlap), in grid-stride loops, as the CPU kernels' loops.
#include "../../shared/cuda_launch.cuh"
#include "adaptive_max_cuda.hpp"

namespace nnplug::layers {

namespace {

template <typename T>
__global__ void cells(AdaptiveWindows w, const T* x, T* y) {
  NNPLUG_GRID_STRIDE(i, w.planes * w.out_h * w.out_w) adaptive_max_cell(w, x, y, i);
}
template <typename T>
__global__ void plane_gradients(AdaptiveWindows w, const T* x, const T* dy, T* dx) {
  NNPLUG_GRID_STRIDE(p, w.planes) adaptive_max_plane_gradient(w, x, dy, dx, p);
}

}  // namespace

template <typename T>
void adaptive_max_pool2d_cuda(const AdaptiveWindows& w, const T* x, T* y, void* stream) {
  using namespace cuda_kernels;
  const std::int64_t n = w.planes * w.out_h * w.out_w;
  if (n == 0) return;
  cells<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(w, x, y);
  check(cudaGetLastError(), "adaptive_max_pool2d: launch failed");
}
template <typename T>
void adaptive_max_pool2d_grad_cuda(const AdaptiveWindows& w, const T* x, const T* dy, T* dx, void* stream) {
  using namespace cuda_kernels;
  if (w.planes == 0) return;
  plane_gradients<T><<<blocks_for(w.planes), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(w, x, dy, dx);
  check(cudaGetLastError(), "adaptive_max_pool2d_grad: launch failed");
}

template void adaptive_max_pool2d_cuda<float>(const AdaptiveWindows&, const float*, float*, void*);
template void adaptive_max_pool2d_cuda<double>(const AdaptiveWindows&, const double*, double*, void*);
template void adaptive_max_pool2d_grad_cuda<float>(const AdaptiveWindows&, const float*, const float*, float*, void*);
template void adaptive_max_pool2d_grad_cuda<double>(const AdaptiveWindows&, const double*, const double*, double*, void*);

}  // namespace nnplug::layers
