#pragma once
// The CUDA kernels of layer_norm's and rms_norm's ops (row_normalization.cu), as plain launch functions over device
// pointers: nvcc compiles them without any nnplug header, and each plugin wraps them as its ops' "cuda" kernels.
// Each of n rows of d values is normalised on its own, as the plugins' CPU kernels normalise it:
//   centred (layer_norm): x̂ = (x - mean) rstd, rstd = 1 / sqrt(biased variance + eps), y = x̂ weight + bias;
//   not centred (rms_norm): x̂ = x rstd, rstd = 1 / sqrt(mean(x^2) + eps), y = x̂ weight (bias and dbias null).
// Sums are taken in double, in a fixed order, so that a result does not change from run to run. `stream` is the
// cudaStream_t the cuda backend hands its kernels (OpCall::stream); a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::cuda_kernels {

template <typename T>
void row_normalization(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t d, double eps, bool centred, void* stream);

// dx = rstd (g - [mean_j g] - x̂ mean_j(g x̂)) with g = dy weight (the bracket only when centred); dweight = sum_i dy x̂,
// dbias = sum_i dy.
template <typename T>
void row_normalization_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, std::int64_t n, std::int64_t d, double eps,
                            bool centred, void* stream);

}  // namespace nnplug::cuda_kernels
