#pragma once
// The CUDA kernels of an element activation's two ops (element_activation_op.hpp), on the stream the cuda backend
// hands its kernels. Defined in element_activation_cuda.cuh, which each activation's .cu file includes and
// instantiates for its own Element (NNPLUG_ELEMENT_ACTIVATION_CUDA); a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::activations {

template <typename Element, typename T>
void element_values_cuda(const Element& e, const T* x, T* y, std::int64_t n, void* stream);
template <typename Element, typename T>
void element_gradients_cuda(const Element& e, const T* x, const T* dy, T* dx, std::int64_t n, void* stream);

}  // namespace nnplug::activations
