#pragma once
// glu's two ops on the GPU (glu_halves.cu), on the stream the cuda backend hands its kernels, each element as the CPU
// kernels take it (glu_halves.hpp); a failed launch throws std::runtime_error.
#include "glu_halves.hpp"

namespace nnplug::layers {

template <typename T>
void glu_cuda(const GluHalves& h, const T* x, T* y, void* stream);
template <typename T>
void glu_grad_cuda(const GluHalves& h, const T* x, const T* dy, T* dx, void* stream);

}  // namespace nnplug::layers
