// Ops that regularise parameters and gradients: penalties, norm constraints, clamping, norms, gradient noise.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kernels.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cpu {

void run_kernel(const op::Penalty& o) {
  require_same_count(o.w, o.grad, "penalty");
  with_float_type(o.w, "penalty", [&](auto tag) {
    using T = decltype(tag);
    const T* w = o.w.data<T>();
    T* g = o.grad.data<T>();
    const T l1 = static_cast<T>(o.scale * o.l1), l2 = static_cast<T>(o.scale * o.l2);
    double abs_sum = 0, sq_sum = 0;
    const std::int64_t n = o.w.numel();
    // simd: a weight and its gradient never share memory, which the compiler cannot see through OpenMP's outlining.
#pragma omp parallel for simd schedule(static) reduction(+ : abs_sum, sq_sum) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) {
      abs_sum += std::abs(static_cast<double>(w[i]));
      sq_sum += static_cast<double>(w[i]) * static_cast<double>(w[i]);
      const T sign = w[i] > T(0) ? T(1) : (w[i] < T(0) ? T(-1) : T(0));
      g[i] += l1 * sign + l2 * w[i];
    }
    *o.out.data<T>() = static_cast<T>(o.scale * (o.l1 * abs_sum + 0.5 * o.l2 * sq_sum));
  });
}

void run_kernel(const op::RowNormConstraint& o) {
  require(o.w.rank() >= 1, "row_norm_constraint", [&] { return fmt::format("needs a tensor with rows, got {}", o.w.shape().str()); });
  with_float_type(o.w, "row_norm_constraint", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.w.dim(0), cols = o.w.numel() / rows;
    T* w = o.w.data<T>();
    for (std::int64_t r = 0; r < rows; ++r) {
      double sq = 0;
      for (std::int64_t c = 0; c < cols; ++c) sq += static_cast<double>(w[r * cols + c]) * static_cast<double>(w[r * cols + c]);
      const double norm = std::sqrt(sq);
      if (norm == 0.0 || (!o.unit_norm && norm <= o.max_norm)) continue;
      const T scale = static_cast<T>((o.unit_norm ? 1.0 : o.max_norm) / norm);
      for (std::int64_t c = 0; c < cols; ++c) w[r * cols + c] *= scale;
    }
  });
}

void run_kernel(const op::Clamp& o) {
  kChecks.clamp(o);
  with_float_type(o.x, "clamp", [&](auto tag) {
    using T = decltype(tag);
    T* x = o.x.data<T>();
    const T lo = static_cast<T>(o.min), hi = static_cast<T>(o.max);
    parallel_chunks(o.x.numel(), [=](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) x[i] = std::clamp(x[i], lo, hi);
    });
  });
}

void run_kernel(const op::SumSquares& o) {
  with_float_type(o.x, "sum_squares", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const std::int64_t n = o.x.numel();
    double sum = 0;
    // simd: the sum is taken in vector lanes too (a reduction is otherwise one chain of additions, each waiting on the
    // last; the sums of squares are a third of an Adafactor step's time without it).
#pragma omp parallel for simd schedule(static) reduction(+ : sum) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    with_float_type(o.out, "sum_squares", [&](auto out_tag) {
      using U = decltype(out_tag);
      *o.out.data<U>() = static_cast<U>(sum);
    });
  });
}

void run_kernel(const op::ClipToNorm& o) {
  kChecks.clip_to_norm(o);
  with_float_type(o.x, "clip_to_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* squares = o.squares.data<T>();
    double sum = 0;
    for (std::int64_t j = 0; j < o.squares.numel(); ++j) sum += static_cast<double>(squares[j]);
    const double norm = std::sqrt(sum);
    if (norm <= o.max_norm) return;
    const T scale = static_cast<T>(o.max_norm / (norm + 1e-6));
    T* x = o.x.data<T>();
    const std::int64_t n = o.x.numel();
#pragma omp parallel for schedule(static) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) x[i] *= scale;
  });
}

void run_kernel(const op::AddNoise& o) {
  with_float_type(o.x, "add_noise", [&](auto tag) {
    using T = decltype(tag);
    T* x = o.x.data<T>();
    parallel_chunks(o.x.numel(), [=](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i)
        x[i] += static_cast<T>(o.std * counter_random::normal(o.seed, static_cast<std::uint64_t>(i)));
    });
  });
}

}  // namespace nnplug::cpu
