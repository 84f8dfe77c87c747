#pragma once
// The CUDA backend's op implementations, one function per op struct. Own kernels live in the .cu files (one file
// per op or per family of ops sharing a kernel), GEMM goes to cuBLAS (gemm.cpp) and convolution to cuDNN
// (convolution.cpp). Every function checks shapes on the host before launching, so that a shape error names the
// op and the tensors synchronously, as the CPU backend's do; launches are asynchronous on the context's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "device_context.hpp"
#include "nnplug/ops.hpp"
#include "op_checks.hpp"

namespace nnplug::cuda {

void run_kernel(const op::Fill& o, DeviceContext& ctx);
void run_kernel(const op::Copy& o, DeviceContext& ctx);
void run_kernel(const op::CopyColumns& o, DeviceContext& ctx);
void run_kernel(const op::Permute& o, DeviceContext& ctx);
void run_kernel(const op::Axpby& o, DeviceContext& ctx);
void run_kernel(const op::Gemm& o, DeviceContext& ctx);
void run_kernel(const op::AddRowVector& o, DeviceContext& ctx);
void run_kernel(const op::SumRows& o, DeviceContext& ctx);
void run_kernel(const op::Activation& o, DeviceContext& ctx);
void run_kernel(const op::ActivationGrad& o, DeviceContext& ctx);
void run_kernel(const op::Softmax& o, DeviceContext& ctx);
void run_kernel(const op::SoftmaxGrad& o, DeviceContext& ctx);
void run_kernel(const op::LstmCell& o, DeviceContext& ctx);
void run_kernel(const op::LstmCellGrad& o, DeviceContext& ctx);
void run_kernel(const op::GruCell& o, DeviceContext& ctx);
void run_kernel(const op::GruCellGrad& o, DeviceContext& ctx);
void run_kernel(const op::Prelu& o, DeviceContext& ctx);
void run_kernel(const op::PreluGrad& o, DeviceContext& ctx);
void run_kernel(const op::MaxGroups& o, DeviceContext& ctx);
void run_kernel(const op::MaxGroupsGrad& o, DeviceContext& ctx);
void run_kernel(const op::GatherRows& o, DeviceContext& ctx);
void run_kernel(const op::ScatterAddRows& o, DeviceContext& ctx);
void run_kernel(const op::Multiply& o, DeviceContext& ctx);
void run_kernel(const op::Dropout& o, DeviceContext& ctx);
void run_kernel(const op::BatchNorm& o, DeviceContext& ctx);
void run_kernel(const op::BatchNormGrad& o, DeviceContext& ctx);
void run_kernel(const op::Penalty& o, DeviceContext& ctx);
void run_kernel(const op::RowNormConstraint& o, DeviceContext& ctx);
void run_kernel(const op::Clamp& o, DeviceContext& ctx);
void run_kernel(const op::SumSquares& o, DeviceContext& ctx);
void run_kernel(const op::ClipToNorm& o, DeviceContext& ctx);
void run_kernel(const op::AddNoise& o, DeviceContext& ctx);
void run_kernel(const op::Conv2d& o, DeviceContext& ctx);
void run_kernel(const op::Conv2dGrad& o, DeviceContext& ctx);

// Mixed precision's bfloat16 copies of float32 tensors (bfloat16_copies.cu), in scratch `slot`: a rounded copy of
// `t`, room for a result of t's size, and a result widened into `to`.
void* bfloat16_copy(DeviceContext& ctx, int slot, const Tensor& t, const char* op);
void* bfloat16_space(DeviceContext& ctx, int slot, const Tensor& t);
void widen_bfloat16(DeviceContext& ctx, const void* from, const Tensor& to, const char* op);
void run_kernel(const op::Pool2d& o, DeviceContext& ctx);
void run_kernel(const op::Pool2dGrad& o, DeviceContext& ctx);
void run_kernel(const op::ClassLoss& o, DeviceContext& ctx);
void run_kernel(const op::ElementwiseLoss& o, DeviceContext& ctx);
void run_kernel(const op::CountCorrect& o, DeviceContext& ctx);
void run_kernel(const op::SgdStep& o, DeviceContext& ctx);
void run_kernel(const op::AdamStep& o, DeviceContext& ctx);
void run_kernel(const op::AdagradStep& o, DeviceContext& ctx);
void run_kernel(const op::RmspropStep& o, DeviceContext& ctx);
void run_kernel(const op::AdadeltaStep& o, DeviceContext& ctx);
// A plugin's op: its cuda kernel gets the context's stream (custom_op.cpp).
void run_kernel(const op::Custom& o, DeviceContext& ctx);

// The checks every backend makes, with this backend's name in their messages ("cuda backend: gemm: ...").
inline constexpr backends::OpChecks kChecks{"cuda"};

// `what`: the message, or a function that makes it when the check fails (see OpChecks::require).
template <typename Message>
void require(bool ok, const char* op, Message&& what) {
  kChecks.require(ok, op, std::forward<Message>(what));
}
inline void require_same_count(const Tensor& a, const Tensor& b, const char* op) { kChecks.same_count(a, b, op); }
template <typename F>
void with_float_type(const Tensor& t, const char* op, F&& f) {
  kChecks.with_float_type(t, op, std::forward<F>(f));
}

using backends::ChannelLayout;

// Throws BackendError naming the op when a CUDA runtime call failed (or a launch was refused).
inline void check(cudaError_t status, const char* op) {
  if (status != cudaSuccess)
    throw BackendError(std::string("cuda backend: ") + op + ": " + cudaGetErrorName(status) + " (" +
                       cudaGetErrorString(status) + ")");
}

// After a launch: a bad configuration is reported now, naming the op; faults inside the kernel surface at the
// next synchronisation (run the backend with "sync_every_op": true to have them name the op too).
inline void check_launch(const char* op) { check(cudaGetLastError(), op); }

// Grid-stride launches: enough blocks to fill the device, never more than the elements need.
constexpr int kThreads = 256;
inline unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((n + kThreads - 1) / kThreads, 1, 8192));
}

}  // namespace nnplug::cuda
