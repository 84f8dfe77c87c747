#pragma once
// Sums across a thread block, and scalar results accumulated in double whatever the dtype (as the CPU backend
// does), so that a float32 loss over a large batch does not lose its low digits.
#include "kernels.hpp"

namespace nnplug::cuda {

__device__ inline double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// The sum of v over the block, valid in thread 0. Every thread of the block must call it.
__device__ inline double block_sum(double v) {
  __shared__ double partial[32];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const unsigned warps = (blockDim.x + 31) >> 5;
  v = threadIdx.x < warps ? partial[threadIdx.x] : 0.0;
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // partial may be reused by the next call
  return v;
}

// Thread 0's block_sum result, given to every thread of the block.
__device__ inline double block_broadcast_sum(double v) {
  __shared__ double total;
  v = block_sum(v);
  if (threadIdx.x == 0) total = v;
  __syncthreads();
  v = total;
  __syncthreads();
  return v;
}

// out[0] = scale * acc[0], converted to the output's type: the last step of a reduction to one value.
template <typename T>
__global__ void store_scaled(const double* acc, T* out, double scale) {
  out[0] = static_cast<T>(scale * acc[0]);
}

// `count` doubles of zeroed device scratch for atomicAdd accumulation (context slot 1).
inline double* zeroed_accumulators(DeviceContext& ctx, int count, const char* op) {
  auto* acc = static_cast<double*>(ctx.scratch(1, sizeof(double) * static_cast<std::size_t>(count)));
  check(cudaMemsetAsync(acc, 0, sizeof(double) * static_cast<std::size_t>(count), ctx.stream()), op);
  return acc;
}

// Writes a one-element tensor of either float dtype from a device accumulator.
inline void store_scalar(const double* acc, const Tensor& out, double scale, DeviceContext& ctx, const char* op) {
  require(out.numel() >= 1, op, "the output tensor is empty");
  with_float_type(out, op, [&](auto tag) {
    using T = decltype(tag);
    store_scaled<T><<<1, 1, 0, ctx.stream()>>>(acc, out.data<T>(), scale);
  });
  check_launch(op);
}

}  // namespace nnplug::cuda
