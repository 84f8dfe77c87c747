// Ops of layers with their own parameters or routing: prelu (learnable slope), maxout groups, an embedding's rows.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.hpp"

namespace nnplug::cpu {

void run_kernel(const op::Prelu& o) {
  const auto l = kChecks.prelu(o.x, o.alpha, "prelu");
  require_same_count(o.x, o.y, "prelu");
  with_float_type(o.x, "prelu", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const T* a = o.alpha.data<T>();
    T* y = o.y.data<T>();
    const bool shared = o.alpha.numel() == 1;
    for (std::int64_t n = 0; n < l.outer; ++n)
      for (std::int64_t c = 0; c < l.channels; ++c) {
        const T slope = a[shared ? 0 : c];
        const std::int64_t base = l.at(n, c);
        for (std::int64_t i = base; i < base + l.inner; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
      }
  });
}

void run_kernel(const op::PreluGrad& o) {
  const auto l = kChecks.prelu(o.x, o.alpha, "prelu_grad");
  require_same_count(o.x, o.dy, "prelu_grad");
  require_same_count(o.alpha, o.dalpha, "prelu_grad");
  with_float_type(o.x, "prelu_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const T* a = o.alpha.data<T>();
    const T* dy = o.dy.data<T>();
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
    T* da = o.dalpha.data<T>();
    const bool shared = o.alpha.numel() == 1;
    std::fill_n(da, o.dalpha.numel(), T(0));
    for (std::int64_t n = 0; n < l.outer; ++n)
      for (std::int64_t c = 0; c < l.channels; ++c) {
        const T slope = a[shared ? 0 : c];
        const std::int64_t base = l.at(n, c);
        T acc = 0;
        for (std::int64_t i = base; i < base + l.inner; ++i) {
          if (dx) dx[i] = x[i] > T(0) ? dy[i] : slope * dy[i];
          if (x[i] <= T(0)) acc += dy[i] * x[i];
        }
        da[shared ? 0 : c] += acc;
      }
  });
}

void run_kernel(const op::MaxGroups& o) {
  kChecks.max_groups(o);
  with_float_type(o.x, "max_groups", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    auto* arg = o.argmax.data<std::int32_t>();
    const std::int64_t k = o.pieces;
    parallel_chunks(o.y.numel(), [=](std::int64_t b, std::int64_t e) {
      for (std::int64_t j = b; j < e; ++j) {
        const T* g = x + j * k;
        const auto best = std::max_element(g, g + k) - g;  // the first of equal maxima, as torch.max
        y[j] = g[best];
        arg[j] = static_cast<std::int32_t>(best);
      }
    });
  });
}

void run_kernel(const op::MaxGroupsGrad& o) {
  kChecks.max_groups_grad(o);
  with_float_type(o.dy, "max_groups_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* dy = o.dy.data<T>();
    const auto* arg = o.argmax.data<std::int32_t>();
    T* dx = o.dx.data<T>();
    const std::int64_t k = o.pieces;
    parallel_chunks(o.dy.numel(), [=](std::int64_t b, std::int64_t e) {
      for (std::int64_t j = b; j < e; ++j) {
        std::fill_n(dx + j * k, k, T(0));
        dx[j * k + arg[j]] = dy[j];
      }
    });
  });
}

namespace {

// Every index's row: the whole number in [0, rows) it holds, checked before any row moves (a parallel loop cannot
// throw), else the error names the value and its place.
template <typename T>
std::vector<std::int64_t> rows_of(const Tensor& index, std::int64_t rows, const char* op) {
  const T* v = index.data<T>();
  std::vector<std::int64_t> picked(static_cast<std::size_t>(index.numel()));
  for (std::size_t i = 0; i < picked.size(); ++i) {
    require(v[i] >= T(0) && v[i] < static_cast<T>(rows) && v[i] == std::trunc(v[i]), op, [&] {
      return backends::format_message("index {} at position {} is not a whole number in [0, {}), the table's rows",
                                      {static_cast<double>(v[i]), static_cast<std::int64_t>(i), rows});
    });
    picked[i] = static_cast<std::int64_t>(v[i]);
  }
  return picked;
}

}  // namespace

void run_kernel(const op::GatherRows& o) {
  const auto p = kChecks.row_pick(o.table, o.index, o.out, "gather_rows");
  with_float_type(o.table, "gather_rows", [&](auto tag) {
    using T = decltype(tag);
    const auto picked = rows_of<T>(o.index, p.rows, "gather_rows");
    const T* table = o.table.data<T>();
    T* out = o.out.data<T>();
    const std::int64_t width = p.width;
    parallel_chunks(p.count, [&, table, out](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) std::memcpy(out + i * width, table + picked[i] * width, sizeof(T) * width);
    }, kParallelThreshold / std::max<std::int64_t>(width, 1));
  });
}

// Each thread adds every index's gradient into its own columns of the table's gradient: no two threads write one
// element, and each row's sum is taken in index order, whatever the thread count.
void run_kernel(const op::ScatterAddRows& o) {
  const auto p = kChecks.row_pick(o.table_grad, o.index, o.grad, "scatter_add_rows");
  with_float_type(o.table_grad, "scatter_add_rows", [&](auto tag) {
    using T = decltype(tag);
    const auto picked = rows_of<T>(o.index, p.rows, "scatter_add_rows");
    const T* grad = o.grad.data<T>();
    T* table_grad = o.table_grad.data<T>();
    const std::int64_t width = p.width, count = p.count, skip = o.skip;
    parallel_chunks(width, [&, grad, table_grad](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = 0; r < p.rows; ++r) std::fill(table_grad + r * width + b, table_grad + r * width + e, T(0));
      for (std::int64_t i = 0; i < count; ++i) {
        if (picked[i] == skip) continue;
        T* to = table_grad + picked[i] * width;
        const T* from = grad + i * width;
        for (std::int64_t j = b; j < e; ++j) to[j] += from[j];
      }
    }, kParallelThreshold / std::max<std::int64_t>(count + p.rows, 1));
  });
}

}  // namespace nnplug::cpu
