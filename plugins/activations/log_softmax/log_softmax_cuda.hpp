#pragma once
// log_softmax's two ops on the GPU (log_softmax_rows.cu), on the stream the cuda backend hands its kernels, each row
// as the CPU kernels take it (log_softmax_rows.hpp); a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::activations {

template <typename T>
void log_softmax_cuda(const T* x, T* y, std::int64_t rows, std::int64_t c, void* stream);
template <typename T>
void log_softmax_grad_cuda(const T* y, const T* dy, T* dx, std::int64_t rows, std::int64_t c, void* stream);

}  // namespace nnplug::activations
