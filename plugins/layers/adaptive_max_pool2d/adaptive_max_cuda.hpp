#pragma once
// adaptive_max_pool2d's two ops on the GPU (adaptive_max_planes.cu), on the stream the cuda backend hands its
// kernels, each as the CPU kernels take it (adaptive_max_planes.hpp); a failed launch throws std::runtime_error.
#include "adaptive_max_planes.hpp"

namespace nnplug::layers {

template <typename T>
void adaptive_max_pool2d_cuda(const AdaptiveWindows& w, const T* x, T* y, void* stream);
template <typename T>
void adaptive_max_pool2d_grad_cuda(const AdaptiveWindows& w, const T* x, const T* dy, T* dx, void* stream);

}  // namespace nnplug::layers
