// 2-D convolution by im2col and GEMM (float32 convolutions of many channels go to oneDNN, see
// onednn_convolution.hpp, and those from channel blocks into one filter to one_filter_convolution.hpp). Scratch
// buffers are per thread and only grow, so a steady training step allocates nothing.
#include <Eigen/Core>

#include <algorithm>
#include <vector>

#include "kernels.hpp"
#include "nnplug/backend.hpp"
#include "one_filter_convolution.hpp"
#include "onednn_convolution.hpp"

namespace nnplug::cpu {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

using ConvShape = backends::WindowShape;

// The columns a row of output pixels reads along one axis: out positions o in [lo, hi) read input o * stride + first,
// which lies inside [0, extent); outside that range the padding supplies zeros.
struct Span {
  std::int64_t lo, hi;
};
inline Span valid_span(std::int64_t first, std::int64_t stride, std::int64_t extent, std::int64_t out) {
  const std::int64_t lo = first >= 0 ? 0 : std::min(out, (-first + stride - 1) / stride);
  const std::int64_t hi = first >= extent ? 0 : std::min(out, (extent - 1 - first) / stride + 1);
  return {lo, std::max(lo, hi)};
}

// col[(c, ki, kj), (oi, oj)] = x[c, oi * sh - ph + ki * dh, oj * sw - pw + kj * dw] (0 outside), one sample, whose
// columns start at `col` in rows of `ld` values (several samples share the rows, side by side).
template <typename T>
void im2col(const T* x, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow,
            const Window2d& g, T* col, std::int64_t ld) {
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        T* row = col + ((ch * g.kernel_h + ki) * g.kernel_w + kj) * ld;
        const std::int64_t first_j = kj * g.dilation_w - g.pad_w;
        const Span cols = valid_span(first_j, g.stride_w, w, ow);
        for (std::int64_t oi = 0; oi < oh; ++oi) {
          T* out = row + oi * ow;
          const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (i < 0 || i >= h) {
            std::fill_n(out, ow, T(0));
            continue;
          }
          const T* in = x + (ch * h + i) * w + first_j;
          std::fill(out, out + cols.lo, T(0));
          if (g.stride_w == 1) std::copy(in + cols.lo, in + cols.hi, out + cols.lo);
          else
            for (std::int64_t oj = cols.lo; oj < cols.hi; ++oj) out[oj] = in[oj * g.stride_w];
          std::fill(out + cols.hi, out + ow, T(0));
        }
      }
}

// The adjoint of im2col: dx[c, i, j] = sum of dcol over the (ki, kj, oi, oj) that read x[c, i, j].
template <typename T>
void col2im(const T* col, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow,
            const Window2d& g, T* dx, std::int64_t ld) {
  std::fill_n(dx, c * h * w, T(0));
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const T* row = col + ((ch * g.kernel_h + ki) * g.kernel_w + kj) * ld;
        const std::int64_t first_j = kj * g.dilation_w - g.pad_w;
        const Span cols = valid_span(first_j, g.stride_w, w, ow);
        for (std::int64_t oi = 0; oi < oh; ++oi) {
          const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (i < 0 || i >= h) continue;
          const T* in = row + oi * ow;
          T* out = dx + (ch * h + i) * w + first_j;
          for (std::int64_t oj = cols.lo; oj < cols.hi; ++oj) out[oj * g.stride_w] += in[oj];
        }
      }
}


// Runs body(first filter, filters, first patch row, patch rows) for each channel group: group g's filters are rows
// [g F/G, (g+1) F/G) of the weight and the output, and its input channels' im2col rows [g P/G, (g+1) P/G) of the
// columns, P = C KH KW. One group is the whole product.
template <typename Body>
void per_group(std::int64_t groups, std::int64_t filters, std::int64_t patch, Body&& body) {
  const std::int64_t f = filters / groups, p = patch / groups;
  for (std::int64_t g = 0; g < groups; ++g) body(g * f, f, g * p, p);
}

// Per-thread scratch that only grows; `slot` tells apart the buffers one thread holds at once.
template <typename T>
T* scratch(int slot, std::int64_t n) {
  thread_local std::vector<T> buffers[4];
  auto& b = buffers[slot];
  if (b.size() < static_cast<std::size_t>(n)) b.resize(static_cast<std::size_t>(n));
  return b.data();
}

// Samples go through the GEMMs in groups of `group`, their columns side by side, so that small feature maps
// (7x7 after two poolings) still make GEMMs wide enough to run at speed. Groups are spread over the threads,
// each running its GEMMs on one core.
struct Grouping {
  std::int64_t group, count;
  explicit Grouping(const ConvShape& s) : group(std::clamp<std::int64_t>(256 / (s.oh * s.ow), 1, s.n)), count((s.n + group - 1) / group) {}
  std::int64_t size(std::int64_t index, std::int64_t n) const { return std::min(group, n - index * group); }
};

// One sample's output image between the GEMM's (filters, pixels) rows, `ld` apart, and channel blocks of 16, for an
// output in blocks that oneDNN leaves to im2col (float64, or a build without oneDNN), transposed while it is in cache.
template <typename T>
void rows_into_blocks(const T* rows, std::int64_t ld, T* image, std::int64_t filters, std::int64_t pixels) {
  for (std::int64_t b = 0; b < filters / kChannelBlock; ++b) rows_into_block(rows + b * kChannelBlock * ld, ld, image + b * kChannelBlock * pixels, pixels);
}
template <typename T>
void blocks_into_rows(const T* image, T* rows, std::int64_t ld, std::int64_t filters, std::int64_t pixels) {
  for (std::int64_t b = 0; b < filters / kChannelBlock; ++b) block_into_rows(image + b * kChannelBlock * pixels, rows + b * kChannelBlock * ld, ld, pixels);
}

// im2col reads row-major images; an input in channel blocks (float64, or a build without oneDNN) goes through a
// row-major copy, holding t's values where `values`, and so does its gradient.
Tensor row_major(const Tensor& t, bool values) {
  if (!t.defined() || t.row_major()) return t;
  Tensor copy = t.backend().empty(t.shape(), t.dtype());
  if (values) reorder(t, copy);
  return copy;
}

}  // namespace

void run_kernel(const op::Conv2d& o, bool bfloat16) {
  const ConvShape s = kChecks.conv(o.x, o.w, o.y, o.window, o.groups, "conv2d");
  if (one_filter_conv2d(o, s) || onednn_conv2d(o, s, bfloat16)) return;
  if (!o.x.row_major()) {
    op::Conv2d plain = o;
    plain.x = row_major(o.x, true);
    return run_kernel(plain, bfloat16);
  }
  const bool blocks = !o.y.row_major();
  with_float_type(o.x, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    const Grouping groups(s);
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch / s.groups);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    const T* bias = o.bias.defined() ? o.bias.data<T>() : nullptr;
#pragma omp parallel for schedule(static)
    for (std::int64_t gi = 0; gi < groups.count; ++gi) {
      const std::int64_t n0 = gi * groups.group, g = groups.size(gi, s.n), ld = g * pixels;
      T* col = scratch<T>(0, patch * ld);
      for (std::int64_t k = 0; k < g; ++k) im2col(x + (n0 + k) * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col + k * pixels, ld);
      const bool direct = g == 1 && !blocks;
      Eigen::Map<RowMajor<T>> out(direct ? y + n0 * s.f * pixels : scratch<T>(1, s.f * ld), s.f, ld);
      const Eigen::Map<RowMajor<T>> cols(col, patch, ld);
      per_group(s.groups, s.f, patch, [&](auto f0, auto fn, auto p0, auto pn) {
        out.middleRows(f0, fn).noalias() = w.middleRows(f0, fn) * cols.middleRows(p0, pn);
      });
      if (bias) out.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias, s.f);
      if (o.epilogue != Pointwise::Identity) apply_pointwise(o.epilogue, o.epilogue_alpha, out.data(), out.data(), out.size());
      for (std::int64_t k = 0; !direct && k < g; ++k) {
        T* image = y + (n0 + k) * s.f * pixels;
        if (blocks) rows_into_blocks(out.data() + k * pixels, ld, image, s.f, pixels);
        else Eigen::Map<RowMajor<T>>(image, s.f, pixels) = out.middleCols(k * pixels, pixels);
      }
    }
  });
}

void run_kernel(const op::Conv2dGrad& o, bool bfloat16) {
  const ConvShape s = kChecks.conv_grad(o);
  if (one_filter_conv2d_grad(o, s) || onednn_conv2d_grad(o, s, bfloat16)) return;
  const bool want_dw = o.dw.defined();  // dx alone (a transposed convolution's forward) reads x for its shape only
  if (!o.x.row_major()) {
    op::Conv2dGrad plain = o;
    plain.x = row_major(o.x, want_dw), plain.dx = row_major(o.dx, false);
    run_kernel(plain, bfloat16);
    if (o.dx.defined()) reorder(plain.dx, o.dx);
    return;
  }
  const bool blocks = !o.dy.row_major();
  with_float_type(o.x, "conv2d_grad", [&](auto tag) {
    using T = decltype(tag);
    using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    const Grouping groups(s);
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch / s.groups);
    Eigen::Map<RowMajor<T>> dw(want_dw ? o.dw.data<T>() : nullptr, want_dw ? s.f : 0, patch / s.groups);
    Eigen::Map<Vector> dbias(o.dbias.defined() ? o.dbias.data<T>() : nullptr, o.dbias.defined() ? s.f : 0);
    dw.setZero();
    dbias.setZero();
    const T* x = o.x.data<T>();
    const T* dy_all = o.dy.data<T>();
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
#pragma omp parallel
    {
      // Each thread sums its samples' weight gradients on its own, then adds them to dw once.
      Eigen::Map<RowMajor<T>> my_dw(scratch<T>(3, dw.size() + s.f), dw.rows(), dw.cols());
      Eigen::Map<Vector> my_dbias(my_dw.data() + dw.size(), dbias.size());
      my_dw.setZero();
      my_dbias.setZero();
#pragma omp for schedule(static)
      for (std::int64_t gi = 0; gi < groups.count; ++gi) {
        const std::int64_t n0 = gi * groups.group, g = groups.size(gi, s.n), ld = g * pixels;
        const T* dy_at = dy_all + n0 * s.f * pixels;
        if (g > 1 || blocks) {
          T* gathered = scratch<T>(1, s.f * ld);
          for (std::int64_t k = 0; k < g; ++k)
            if (blocks) blocks_into_rows(dy_at + k * s.f * pixels, gathered + k * pixels, ld, s.f, pixels);
            else
              Eigen::Map<RowMajor<T>>(gathered, s.f, ld).middleCols(k * pixels, pixels) =
                  Eigen::Map<const RowMajor<T>>(dy_at + k * s.f * pixels, s.f, pixels);
          dy_at = gathered;
        }
        Eigen::Map<const RowMajor<T>> dy(dy_at, s.f, ld);
        if (want_dw) {
          T* col = scratch<T>(0, patch * ld);
          for (std::int64_t k = 0; k < g; ++k)
            im2col(x + (n0 + k) * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col + k * pixels, ld);
          const Eigen::Map<RowMajor<T>> cols(col, patch, ld);
          per_group(s.groups, s.f, patch, [&](auto f0, auto fn, auto p0, auto pn) {
            my_dw.middleRows(f0, fn).noalias() += dy.middleRows(f0, fn) * cols.middleRows(p0, pn).transpose();
          });
        }
        if (my_dbias.size()) my_dbias += dy.rowwise().sum();
        if (dx) {
          T* dcol = scratch<T>(2, patch * ld);
          Eigen::Map<RowMajor<T>> dcols(dcol, patch, ld);
          per_group(s.groups, s.f, patch, [&](auto f0, auto fn, auto p0, auto pn) {
            dcols.middleRows(p0, pn).noalias() = w.middleRows(f0, fn).transpose() * dy.middleRows(f0, fn);
          });
          for (std::int64_t k = 0; k < g; ++k) col2im(dcol + k * pixels, s.c, s.h, s.w, s.oh, s.ow, o.window, dx + (n0 + k) * s.c * s.h * s.w, ld);
        }
      }
#pragma omp critical(conv2d_grad_sum)
      {
        dw += my_dw;
        dbias += my_dbias;
      }
    }
  });
}

}  // namespace nnplug::cpu
