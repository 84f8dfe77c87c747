// Memory, element-wise and linear-algebra ops: fill, copy, axpby, multiply, gemm, add_row_vector, sum_rows.
#include <algorithm>
#include <cstring>

#include <Eigen/Core>

#include "kernels.hpp"
#include "onednn_matmul.hpp"

namespace nnplug::cpu {

namespace {
template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MatMap = Eigen::Map<RowMajor<T>>;
template <typename T>
using ConstMatMap = Eigen::Map<const RowMajor<T>>;

template <typename T, typename A, typename B>
void gemm_into(const A& a, const B& b, MatMap<T> c, T alpha, T beta) {
  if (beta == T(0)) {
    c.noalias() = alpha * a * b;
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * a * b;
  }
}
// c = alpha op(a) op(b) + beta c.
void product_on_eigen(const op::Gemm& o, std::int64_t m, std::int64_t n) {
  with_float_type(o.c, "gemm", [&](auto tag) {
    using T = decltype(tag);
    ConstMatMap<T> a(o.a.data<T>(), o.a.dim(0), o.a.dim(1));
    ConstMatMap<T> b(o.b.data<T>(), o.b.dim(0), o.b.dim(1));
    MatMap<T> c(o.c.data<T>(), m, n);
    const T alpha = static_cast<T>(o.alpha), beta = static_cast<T>(o.beta);
    if (!o.trans_a && !o.trans_b) gemm_into<T>(a, b, c, alpha, beta);
    else if (!o.trans_a && o.trans_b) gemm_into<T>(a, b.transpose(), c, alpha, beta);
    else if (o.trans_a && !o.trans_b) gemm_into<T>(a.transpose(), b, c, alpha, beta);
    else gemm_into<T>(a.transpose(), b.transpose(), c, alpha, beta);
  });
}
}  // namespace

void run_kernel(const op::Fill& o) {
  with_float_type(o.out, "fill", [&](auto tag) {
    using T = decltype(tag);
    std::fill_n(o.out.data<T>(), o.out.numel(), static_cast<T>(o.value));
  });
}

void run_kernel(const op::Copy& o) {
  if (o.x.layout() != o.out.layout()) return reorder(o.x, o.out);
  require_same_count(o.x, o.out, "copy");
  require(o.x.dtype() == o.out.dtype(), "copy", "dtypes differ");
  if (o.x.data() != o.out.data()) std::memmove(o.out.data(), o.x.data(), o.x.bytes());
}

void run_kernel(const op::CopyColumns& o) {
  const auto b = kChecks.copy_columns(o);
  const auto element = static_cast<std::int64_t>(dtype_size(o.part.dtype()));
  auto* part = static_cast<unsigned char*>(o.part.data());
  auto* whole = static_cast<unsigned char*>(o.whole.data()) + o.offset * element;
  const std::int64_t row_bytes = b.part_width * element;
  parallel_chunks(o.rows, [=](std::int64_t first, std::int64_t end) {
    for (std::int64_t r = first; r < end; ++r) {
      unsigned char* p = part + r * row_bytes;
      unsigned char* w = whole + r * b.whole_width * element;
      if (o.into_whole) std::memcpy(w, p, static_cast<std::size_t>(row_bytes));
      else std::memcpy(p, w, static_cast<std::size_t>(row_bytes));
    }
  });
}

// Each run of out's last axis is gathered from x with that axis's stride; the runs are split between the threads.
// A chunk finds its first run's place in x by division, and each next one by stepping an odometer over the other
// axes: a division per axis and run took longer than the run's copy (attention's heads: runs of 16 floats).
void run_kernel(const op::Permute& o) {
  const auto w = kChecks.permute(o);
  backends::with_element_type(o.x, [&](auto tag) {
    using E = decltype(tag);
    const E* x = static_cast<const E*>(o.x.data());
    E* out = static_cast<E*>(o.out.data());
    const int last = w.rank - 1;
    const std::int64_t run = w.sizes[last], step = w.strides[last];
    parallel_chunks(o.out.numel() / std::max<std::int64_t>(run, 1), [&](std::int64_t first, std::int64_t end) {
      std::int64_t index[Shape::kMaxRank]{}, from = 0;
      for (std::int64_t a = last - 1, rest = first; a >= 0; --a) index[a] = rest % w.sizes[a], from += index[a] * w.strides[a], rest /= w.sizes[a];
      for (std::int64_t r = first; r < end; ++r) {
        E* to = out + r * run;
        if (step == 1) std::memcpy(to, x + from, static_cast<std::size_t>(run) * sizeof(E));
        else
          for (std::int64_t j = 0; j < run; ++j) to[j] = x[from + j * step];
        for (int a = last - 1; a >= 0; --a) {  // the next run
          from += w.strides[a];
          if (++index[a] < w.sizes[a]) break;
          from -= index[a] * w.strides[a], index[a] = 0;
        }
      }
    }, kParallelThreshold / std::max<std::int64_t>(run, 1));
  });
}

void run_kernel(const op::Axpby& o) {
  require_same_count(o.x, o.y, "axpby");
  with_float_type(o.y, "axpby", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    const T alpha = static_cast<T>(o.alpha), beta = static_cast<T>(o.beta);
    parallel_chunks(o.y.numel(), [=](std::int64_t b, std::int64_t e) {
      if (beta == T(0))  // y's old contents are ignored, NaN included
        for (std::int64_t i = b; i < e; ++i) y[i] = alpha * x[i];
      else
        for (std::int64_t i = b; i < e; ++i) y[i] = alpha * x[i] + beta * y[i];
    });
  });
}

void run_kernel(const op::Multiply& o) {
  require_same_count(o.a, o.out, "multiply");
  require_same_count(o.b, o.out, "multiply");
  with_float_type(o.out, "multiply", [&](auto tag) {
    using T = decltype(tag);
    const T* a = o.a.data<T>();
    const T* b = o.b.data<T>();
    T* out = o.out.data<T>();
    parallel_chunks(o.out.numel(), [=](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) out[i] = a[i] * b[i];
    });
  });
}

void run_kernel(const op::Gemm& o, bool bfloat16) {
  const auto size = kChecks.gemm(o);
  const OnednnGemmDone done = onednn_gemm(o, size.m, size.n, size.k, bfloat16);
  if (!done.product) product_on_eigen(o, size.m, size.n);
  // What the product's output pass did not do: the bias, then the function.
  if (o.bias.defined() && !done.bias) run_kernel(op::AddRowVector{o.c, o.bias, o.c});
  if (o.epilogue != Pointwise::Identity && !done.epilogue) run_kernel(op::Activation{o.c, o.c, o.epilogue, o.epilogue_alpha});
}

void run_kernel(const op::AddRowVector& o) {
  kChecks.add_row_vector(o);
  with_float_type(o.out, "add_row_vector", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.x.dim(0), cols = o.x.dim(1);
    const T* x = o.x.data<T>();
    const T* b = o.bias.data<T>();
    T* y = o.out.data<T>();
#pragma omp parallel for schedule(static) if (rows * cols > kParallelThreshold)
    for (std::int64_t i = 0; i < rows; ++i) {
#pragma omp simd
      for (std::int64_t j = 0; j < cols; ++j) y[i * cols + j] = x[i * cols + j] + b[j];
    }
  });
}

void run_kernel(const op::SumRows& o) {
  kChecks.sum_rows(o);
  with_float_type(o.out, "sum_rows", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.x.dim(0), cols = o.x.dim(1);
    const T* x = o.x.data<T>();
    T* out = o.out.data<T>();
    const T beta = static_cast<T>(o.beta);
    // Columns are independent: split them across threads, each walking the rows in order (cache friendly and
    // the same summation order whatever the thread count).
    parallel_chunks(cols, [=](std::int64_t c0, std::int64_t c1) {
      for (std::int64_t j0 = c0; j0 < c1; j0 += 64) {
        const std::int64_t j1 = std::min(c1, j0 + 64);
        T acc[64];
        for (std::int64_t j = j0; j < j1; ++j) acc[j - j0] = beta == T(0) ? T(0) : beta * out[j];
        for (std::int64_t i = 0; i < rows; ++i) {
#pragma omp simd
          for (std::int64_t j = j0; j < j1; ++j) acc[j - j0] += x[i * cols + j];
        }
        for (std::int64_t j = j0; j < j1; ++j) out[j] = acc[j - j0];
      }
    }, kParallelThreshold / std::max<std::int64_t>(rows, 1));
  });
}

}  // namespace nnplug::cpu
