#pragma once
// What the CUDA kernels that plugins bring for their own ops share (their .cu files include it; nvcc compiles them
// without any nnplug header): a grid-stride loop over [0, count), launched with kThreads threads a block and at most
// kMaxBlocks blocks (blocks_for), and `check`, which turns a failed launch or runtime call into std::runtime_error
// naming what failed; the framework reports it as a BackendError naming the op and its kernel.
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

// Each index of [0, count) this thread takes, the grid's threads together taking every one once.
#define NNPLUG_GRID_STRIDE(i, count)                                                                                                  \
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < (count); \
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)

namespace nnplug::cuda_kernels {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096;  // more elements are taken in turn by the same threads

inline int blocks_for(std::int64_t count) {
  const std::int64_t wanted = (count + kThreads - 1) / kThreads;
  return static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks);
}

inline void check(cudaError_t status, const std::string& what) {
  if (status != cudaSuccess) throw std::runtime_error(what + ": " + cudaGetErrorString(status));
}

}  // namespace nnplug::cuda_kernels
