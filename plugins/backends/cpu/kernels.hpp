#pragma once
// The CPU backend's op implementations, one function per op struct, grouped by file:
// dense_kernels.cpp (memory and linear algebra), activation_kernels.cpp, convolution_kernels.cpp, pooling_kernels.cpp,
// layer_kernels.cpp, loss_kernels.cpp, normalization_kernels.cpp, optimizer_kernels.cpp, random_kernels.cpp,
// regularization_kernels.cpp; layouts.cpp checks which layouts each op takes.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cpu_buffer.hpp"
#include "nnplug/ops.hpp"
#include "op_checks.hpp"

namespace nnplug::cpu {

void run_kernel(const op::Fill& o);
void run_kernel(const op::Copy& o);
void run_kernel(const op::CopyColumns& o);
void run_kernel(const op::Permute& o);
void run_kernel(const op::Axpby& o);
// Float32 products run on oneDNN where the build has it; bfloat16: their inputs are rounded to bfloat16 (the
// backend's "precision"; onednn_matmul.hpp).
void run_kernel(const op::Gemm& o, bool bfloat16 = false);
void run_kernel(const op::AddRowVector& o);
void run_kernel(const op::SumRows& o);
void run_kernel(const op::Activation& o);
// rounded_dx: as AdamStep's rounded_param.
void run_kernel(const op::ActivationGrad& o, std::uint16_t* rounded_dx = nullptr);
void run_kernel(const op::Softmax& o);
void run_kernel(const op::SoftmaxGrad& o);
void run_kernel(const op::LstmCell& o);
void run_kernel(const op::LstmCellGrad& o);
void run_kernel(const op::GruCell& o);
void run_kernel(const op::GruCellGrad& o);
void run_kernel(const op::Prelu& o);
void run_kernel(const op::PreluGrad& o);
void run_kernel(const op::MaxGroups& o);
void run_kernel(const op::MaxGroupsGrad& o);
void run_kernel(const op::GatherRows& o);
void run_kernel(const op::ScatterAddRows& o);
void run_kernel(const op::Multiply& o);
// rounded_y, rounded_dx: as AdamStep's rounded_param.
void run_kernel(const op::Dropout& o, std::uint16_t* rounded_y = nullptr);
void run_kernel(const op::BatchNorm& o, std::uint16_t* rounded_y = nullptr);
void run_kernel(const op::BatchNormGrad& o, std::uint16_t* rounded_dx = nullptr);
void run_kernel(const op::Penalty& o);
void run_kernel(const op::RowNormConstraint& o);
void run_kernel(const op::Clamp& o);
void run_kernel(const op::SumSquares& o);
void run_kernel(const op::ClipToNorm& o);
void run_kernel(const op::AddNoise& o);
// bfloat16: where oneDNN runs the convolution, its inputs are rounded to bfloat16 (the backend's "precision").
void run_kernel(const op::Conv2d& o, bool bfloat16 = false);
void run_kernel(const op::Conv2dGrad& o, bool bfloat16 = false);
void run_kernel(const op::Pool2d& o);
void run_kernel(const op::Pool2dGrad& o);
void run_kernel(const op::ClassLoss& o);
void run_kernel(const op::ElementwiseLoss& o);
void run_kernel(const op::CountCorrect& o);
void run_kernel(const op::SgdStep& o);
// rounded_param: where not null, param's values rounded to bfloat16 (its buffer's copy, cpu_buffer.hpp), written
// as param is.
void run_kernel(const op::AdamStep& o, std::uint16_t* rounded_param = nullptr);
void run_kernel(const op::AdagradStep& o);
void run_kernel(const op::RmspropStep& o);
void run_kernel(const op::AdadeltaStep& o);

// n float32 values rounded to bfloat16: on every thread, and on the calling thread only (a kernel's chunk).
void round_to_bfloat16(const float* from, std::uint16_t* to, std::int64_t n);
void round_range_to_bfloat16(const float* from, std::uint16_t* to, std::int64_t n);

// Refuses an op whose tensors' layouts the kernels below do not take (layouts.cpp).
void check_layouts(const Op& op);
// `from` into `to`, the same shape in the other layout (an op::Copy between layouts).
void reorder(const Tensor& from, const Tensor& to);

// y = f(x) over n values on the calling thread (alpha as op::Activation takes it): an op's epilogue function,
// applied by a kernel to a block of its output while the block is in cache.
template <typename T>
void apply_pointwise(Pointwise fn, double alpha, const T* x, T* y, std::int64_t n);

// Element-wise loops below this many elements run on one thread: a parallel region costs a few microseconds, and
// even one whose `if` clause is false cost libgomp 1.2 us a call here, so small ops test before they enter one.
constexpr std::int64_t kParallelThreshold = 1 << 15;
// An optimizer step reads and writes four to eight streams per element, about 1 ns of one core's time: it pays
// for a parallel region from fewer elements (the demo's 32,768 weights of its second layer took Adam 30 us on one
// thread).
constexpr std::int64_t kParallelUpdateThreshold = 1 << 13;

// Calls f(begin, end) on contiguous chunks of [0, n), one per thread, or once for n up to `threshold`. The chunks
// let each thread run a plain loop that the compiler vectorises (GCC did not vectorise `omp parallel for simd` loops
// with branches in them). f runs as the backend's own code on every thread, so that the tensors whose data() it asks
// are not taken as handed out (cpu_buffer.hpp); a kernel's own `omp parallel` loops take their addresses before.
template <typename F>
void parallel_chunks(std::int64_t n, F&& f, std::int64_t threshold = kParallelThreshold) {
  if (n <= threshold) {
    f(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const std::int64_t chunk = (n + threads - 1) / threads / 16 * 16 + 16;  // whole vectors per chunk
    const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    const InsideBackend inside;
    if (begin < end) f(begin, end);
  }
}

// The checks every backend makes, with this backend's name in their messages ("cpu backend: gemm: ...").
inline constexpr backends::OpChecks kChecks{"cpu"};

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

// One block of 16 channels of an image between 16 rows of `pixels` values, `ld` apart (row-major planes, or a
// GEMM's output rows), and `pixels` pixels of 16 channels side by side (Layout::ChannelBlocks16), 16 pixels at a
// time so that both sides are read and written in whole cache lines.
template <typename T>
void rows_into_block(const T* rows, std::int64_t ld, T* block, std::int64_t pixels) {
  for (std::int64_t p0 = 0; p0 < pixels; p0 += 16)
    for (std::int64_t c = 0; c < kChannelBlock; ++c)
      for (std::int64_t p = p0; p < std::min(pixels, p0 + 16); ++p) block[p * kChannelBlock + c] = rows[c * ld + p];
}
template <typename T>
void block_into_rows(const T* block, T* rows, std::int64_t ld, std::int64_t pixels) {
  for (std::int64_t p0 = 0; p0 < pixels; p0 += 16)
    for (std::int64_t c = 0; c < kChannelBlock; ++c)
      for (std::int64_t p = p0; p < std::min(pixels, p0 + 16); ++p) rows[c * ld + p] = block[p * kChannelBlock + c];
}

}  // namespace nnplug::cpu
