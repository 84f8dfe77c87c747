#pragma once
// The CUDA kernels of layer_norm's, rms_norm's and group_norm's ops (normalization.cu), as plain launch functions
// over device pointers: nvcc compiles them without any nnplug header, and each plugin wraps them as its ops' "cuda"
// kernels. x is (N, C, S), N samples of C channels of S positions; each sample's channels fall in `groups` groups of
// C / groups consecutive channels, and each group's values (contiguous) are normalised alone, as the plugins' CPU
// kernels normalise them, with a weight and a bias per channel:
//   centred (layer_norm, group_norm): x̂ = (x - mean) rstd, rstd = 1 / sqrt(biased variance + eps), y = x̂ weight + bias;
//   not centred (rms_norm): x̂ = x rstd, rstd = 1 / sqrt(mean(x^2) + eps), y = x̂ weight (bias and dbias null).
// layer_norm's and rms_norm's (N, D) is (N, D, 1) in one group. Sums are taken in double, in a fixed order, so that a
// result does not change from run to run. `stream` is the cudaStream_t the cuda backend hands its kernels
// (OpCall::stream); a failed launch throws std::runtime_error.
#include <cstdint>

namespace nnplug::cuda_kernels {

template <typename T>
void normalization(const T* x, const T* weight, const T* bias, T* y, std::int64_t n, std::int64_t c, std::int64_t s, std::int64_t groups,
                   double eps, bool centred, void* stream);

// dx = rstd (g - [mean g] - x̂ mean(g x̂)) over each group, g = dy weight (the bracket only when centred); dweight and
// dbias per channel, the sums of dy x̂ and of dy over the samples and the channel's positions.
template <typename T>
void normalization_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, std::int64_t n, std::int64_t c, std::int64_t s,
                        std::int64_t groups, double eps, bool centred, void* stream);

}  // namespace nnplug::cuda_kernels
