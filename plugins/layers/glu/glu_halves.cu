// glu's ops on the GPU: a thread an output element in a grid-stride loop, as the CPU kernels' loops.
#include "../../shared/cuda_launch.cuh"
#include "glu_cuda.hpp"

namespace nnplug::layers {

namespace {

template <typename T>
__global__ void outputs(GluHalves h, const T* x, T* y) {
  NNPLUG_GRID_STRIDE(i, h.outputs()) glu_output(h, x, y, i);
}
template <typename T>
__global__ void input_gradients(GluHalves h, const T* x, const T* dy, T* dx) {
  NNPLUG_GRID_STRIDE(i, h.outputs()) glu_input_gradient(h, x, dy, dx, i);
}

}  // namespace

template <typename T>
void glu_cuda(const GluHalves& h, const T* x, T* y, void* stream) {
  using namespace cuda_kernels;
  if (h.outputs() == 0) return;
  outputs<T><<<blocks_for(h.outputs()), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(h, x, y);
  check(cudaGetLastError(), "glu: launch failed");
}
template <typename T>
void glu_grad_cuda(const GluHalves& h, const T* x, const T* dy, T* dx, void* stream) {
  using namespace cuda_kernels;
  if (h.outputs() == 0) return;
  input_gradients<T><<<blocks_for(h.outputs()), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(h, x, dy, dx);
  check(cudaGetLastError(), "glu_grad: launch failed");
}

template void glu_cuda<float>(const GluHalves&, const float*, float*, void*);
template void glu_cuda<double>(const GluHalves&, const double*, double*, void*);
template void glu_grad_cuda<float>(const GluHalves&, const float*, const float*, float*, void*);
template void glu_grad_cuda<double>(const GluHalves&, const double*, const double*, double*, void*);

}  // namespace nnplug::layers
