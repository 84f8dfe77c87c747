// The bfloat16 copies a mixed-precision convolution runs on: float32 operands rounded to the nearest bfloat16
// (ties to even, as PyTorch's autocast casts them), and bfloat16 results widened back to float32.
#include <cuda_bf16.h>

#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

__global__ void narrow_kernel(const float* x, __nv_bfloat16* y, std::int64_t n) {
  NNPLUG_GRID_LOOP(i, n) y[i] = __float2bfloat16_rn(x[i]);
}

__global__ void widen_kernel(const __nv_bfloat16* x, float* y, std::int64_t n) {
  NNPLUG_GRID_LOOP(i, n) y[i] = __bfloat162float(x[i]);
}

}  // namespace

void* bfloat16_copy(DeviceContext& ctx, int slot, const Tensor& t, const char* op) {
  const std::int64_t n = t.numel();
  auto* copy = static_cast<__nv_bfloat16*>(ctx.scratch(slot, sizeof(__nv_bfloat16) * static_cast<std::size_t>(n)));
  narrow_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(t.data<float>(), copy, n);
  check_launch(op);
  return copy;
}

void* bfloat16_space(DeviceContext& ctx, int slot, const Tensor& t) {
  return ctx.scratch(slot, sizeof(__nv_bfloat16) * static_cast<std::size_t>(t.numel()));
}

void widen_bfloat16(DeviceContext& ctx, const void* from, const Tensor& to, const char* op) {
  const std::int64_t n = to.numel();
  widen_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(static_cast<const __nv_bfloat16*>(from), to.data<float>(), n);
  check_launch(op);
}

}  // namespace nnplug::cuda
