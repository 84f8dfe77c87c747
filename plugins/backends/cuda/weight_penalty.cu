// Ops on whole parameter tensors: the L1/L2 penalty with its gradient, the max-norm constraint, the sum of squares
// and clipping by a global norm.
#include <cmath>

#include "grid_loop.cuh"
#include "reduce.cuh"

namespace nnplug::cuda {

namespace {

// Adds the penalty's gradient and accumulates sum |w| into acc[0] and sum w^2 into acc[1].
template <typename T>
__global__ void penalty_kernel(const T* w, T* g, std::int64_t n, T l1, T l2, double* acc) {
  double abs_sum = 0, sq_sum = 0;
  NNPLUG_GRID_LOOP(i, n) {
    const double v = static_cast<double>(w[i]);
    abs_sum += fabs(v);
    sq_sum += v * v;
    const T sign = w[i] > T(0) ? T(1) : (w[i] < T(0) ? T(-1) : T(0));
    g[i] += l1 * sign + l2 * w[i];
  }
  abs_sum = block_sum(abs_sum);
  sq_sum = block_sum(sq_sum);
  if (threadIdx.x == 0) {
    atomicAdd(acc, abs_sum);
    atomicAdd(acc + 1, sq_sum);
  }
}

template <typename T>
__global__ void penalty_store_kernel(const double* acc, T* out, double scale, double l1, double l2) {
  out[0] = static_cast<T>(scale * (l1 * acc[0] + 0.5 * l2 * acc[1]));
}

template <typename T>
__global__ void sum_squares_kernel(const T* x, std::int64_t n, double* acc) {
  double sum = 0;
  NNPLUG_GRID_LOOP(i, n) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  sum = block_sum(sum);
  if (threadIdx.x == 0) atomicAdd(acc, sum);
}

// Every block works out the scale from the partial sums of squares (a few, one per parameter tensor) itself.
template <typename T>
__global__ void clip_to_norm_kernel(T* x, std::int64_t n, const T* squares, std::int64_t parts, double max_norm) {
  __shared__ double scale;
  if (threadIdx.x == 0) {
    double sum = 0;
    for (std::int64_t j = 0; j < parts; ++j) sum += static_cast<double>(squares[j]);
    const double norm = sqrt(sum);
    scale = norm <= max_norm ? 1.0 : max_norm / (norm + 1e-6);
  }
  __syncthreads();
  if (scale == 1.0) return;
  NNPLUG_GRID_LOOP(i, n) x[i] *= static_cast<T>(scale);
}

// One block per row.
template <typename T>
__global__ void row_norm_kernel(T* w, std::int64_t cols, double max_norm, bool unit_norm) {
  T* row = w + blockIdx.x * cols;
  double sq = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) sq += static_cast<double>(row[c]) * static_cast<double>(row[c]);
  const double norm = sqrt(block_broadcast_sum(sq));
  if (norm == 0.0 || (!unit_norm && norm <= max_norm)) return;
  const T scale = static_cast<T>((unit_norm ? 1.0 : max_norm) / norm);
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) row[c] *= scale;
}

}  // namespace

void run_kernel(const op::Penalty& o, DeviceContext& ctx) {
  require_same_count(o.w, o.grad, "penalty");
  with_float_type(o.w, "penalty", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.w.numel();
    double* acc = zeroed_accumulators(ctx, 2, "penalty");
    penalty_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.w.data<T>(), o.grad.data<T>(), n,
                                                                     static_cast<T>(o.scale * o.l1), static_cast<T>(o.scale * o.l2), acc);
    penalty_store_kernel<T><<<1, 1, 0, ctx.stream()>>>(acc, o.out.data<T>(), o.scale, o.l1, o.l2);
  });
  check_launch("penalty");
}

void run_kernel(const op::RowNormConstraint& o, DeviceContext& ctx) {
  require(o.w.rank() >= 1, "row_norm_constraint", [&] { return "needs a tensor with rows, got " + o.w.shape().str(); });
  with_float_type(o.w, "row_norm_constraint", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.w.dim(0), cols = o.w.numel() / rows;
    row_norm_kernel<T><<<static_cast<unsigned>(rows), kThreads, 0, ctx.stream()>>>(o.w.data<T>(), cols, o.max_norm, o.unit_norm);
  });
  check_launch("row_norm_constraint");
}

void run_kernel(const op::ClipToNorm& o, DeviceContext& ctx) {
  kChecks.clip_to_norm(o);
  with_float_type(o.x, "clip_to_norm", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    clip_to_norm_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), n, o.squares.data<T>(), o.squares.numel(),
                                                                          o.max_norm);
  });
  check_launch("clip_to_norm");
}

void run_kernel(const op::SumSquares& o, DeviceContext& ctx) {
  with_float_type(o.x, "sum_squares", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.x.numel();
    double* acc = zeroed_accumulators(ctx, 1, "sum_squares");
    sum_squares_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), n, acc);
    check_launch("sum_squares");
    store_scalar(acc, o.out, 1.0, ctx, "sum_squares");
  });
}

}  // namespace nnplug::cuda
