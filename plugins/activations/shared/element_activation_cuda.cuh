#pragma once
// The definitions of element_activation_cuda.hpp, for an activation's .cu file: one thread an element in a
// grid-stride loop, as the CPU kernels' loops. NNPLUG_ELEMENT_ACTIVATION_CUDA(Element) instantiates both in float32
// and float64.
#include "../../shared/cuda_launch.cuh"
#include "element_activation_cuda.hpp"

namespace nnplug::activations {

namespace element_activation_detail {

template <typename Element, typename T>
__global__ void values(Element e, const T* x, T* y, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) y[i] = static_cast<T>(e.value(static_cast<double>(x[i])));
}
template <typename Element, typename T>
__global__ void gradients(Element e, const T* x, const T* dy, T* dx, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) dx[i] = static_cast<T>(static_cast<double>(dy[i]) * e.slope(static_cast<double>(x[i])));
}

}  // namespace element_activation_detail

template <typename Element, typename T>
void element_values_cuda(const Element& e, const T* x, T* y, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  element_activation_detail::values<Element, T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(e, x, y, n);
  check(cudaGetLastError(), "activation: launch failed");
}
template <typename Element, typename T>
void element_gradients_cuda(const Element& e, const T* x, const T* dy, T* dx, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  element_activation_detail::gradients<Element, T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(e, x, dy, dx, n);
  check(cudaGetLastError(), "activation gradient: launch failed");
}

}  // namespace nnplug::activations

#define NNPLUG_ELEMENT_ACTIVATION_CUDA(Element)                                                                                    \
  template void nnplug::activations::element_values_cuda<Element, float>(const Element&, const float*, float*, std::int64_t, void*); \
  template void nnplug::activations::element_values_cuda<Element, double>(const Element&, const double*, double*, std::int64_t, void*); \
  template void nnplug::activations::element_gradients_cuda<Element, float>(const Element&, const float*, const float*, float*, std::int64_t, \
                                                                           void*);                                                  \
  template void nnplug::activations::element_gradients_cuda<Element, double>(const Element&, const double*, const double*, double*,       \
                                                                            std::int64_t, void*)
