#pragma once
// The CUDA kernel of a sample loss op (sample_loss_op.hpp): SampleLoss applied to each sample's row on the GPU, on the
// stream the cuda backend hands its kernels. Defined in sample_loss_cuda.cuh, which each such loss's .cu file includes
// and instantiates for its own SampleLoss; a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::losses {

// Predictions p and targets t (n, c) on the device: loss (1) the mean over the rows of each row's loss, dp (n, c) its
// gradient, as mean_sample_loss computes them on the host.
template <typename SampleLoss, typename T>
void mean_sample_loss_cuda(const SampleLoss& sample_loss, const T* p, const T* t, T* loss, T* dp, std::int64_t n, std::int64_t c,
                           void* stream);

}  // namespace nnplug::losses
