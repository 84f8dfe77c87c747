// 2-D convolution by im2col and a GEMM per sample, and 2-D pooling. The im2col buffer is a per-thread scratch
// vector that only grows, so a steady training step allocates nothing.
#include <Eigen/Core>

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels.hpp"

namespace nnplug::cpu {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct ConvShape {
  std::int64_t n, c, h, w, f, oh, ow;
};

// col[(c, ki, kj), (oi, oj)] = x[c, oi * sh - ph + ki * dh, oj * sw - pw + kj * dw] (0 outside).
template <typename T>
void im2col(const T* x, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow,
            const Window2d& g, T* col) {
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        T* row = col + ((ch * g.kernel_h + ki) * g.kernel_w + kj) * oh * ow;
        for (std::int64_t oi = 0; oi < oh; ++oi) {
          const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h;
          for (std::int64_t oj = 0; oj < ow; ++oj) {
            const std::int64_t j = oj * g.stride_w - g.pad_w + kj * g.dilation_w;
            row[oi * ow + oj] = (i >= 0 && i < h && j >= 0 && j < w) ? x[(ch * h + i) * w + j] : T(0);
          }
        }
      }
}

// The adjoint of im2col: dx[c, i, j] += dcol[(c, ki, kj), (oi, oj)].
template <typename T>
void col2im(const T* col, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow,
            const Window2d& g, T* dx) {
  std::fill_n(dx, c * h * w, T(0));
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const T* row = col + ((ch * g.kernel_h + ki) * g.kernel_w + kj) * oh * ow;
        for (std::int64_t oi = 0; oi < oh; ++oi) {
          const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (i < 0 || i >= h) continue;
          for (std::int64_t oj = 0; oj < ow; ++oj) {
            const std::int64_t j = oj * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (j >= 0 && j < w) dx[(ch * h + i) * w + j] += row[oi * ow + oj];
          }
        }
      }
}

ConvShape check_conv(const Tensor& x, const Tensor& w, const Tensor& y, const Window2d& g, const char* op) {
  require(x.rank() == 4 && w.rank() == 4 && y.rank() == 4, op,
          "needs (N, C, H, W) input, (F, C, KH, KW) weight and (N, F, OH, OW) output, got " + x.shape().str() + ", " +
              w.shape().str() + ", " + y.shape().str());
  require(g.stride_h > 0 && g.stride_w > 0 && g.dilation_h > 0 && g.dilation_w > 0, op, "stride and dilation must be >= 1");
  const ConvShape s{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), g.out_h(x.dim(2)), g.out_w(x.dim(3))};
  require(w.dim(1) == s.c && w.dim(2) == g.kernel_h && w.dim(3) == g.kernel_w, op,
          "weight " + w.shape().str() + " does not fit input " + x.shape().str());
  require(s.oh > 0 && s.ow > 0 && y.dim(0) == s.n && y.dim(1) == s.f && y.dim(2) == s.oh && y.dim(3) == s.ow, op,
          "output " + y.shape().str() + " does not fit input " + x.shape().str() + " and weight " + w.shape().str());
  return s;
}

template <typename T>
std::vector<T>& scratch(std::size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer;
}

}  // namespace

void run_kernel(const op::Conv2d& o) {
  const ConvShape s = check_conv(o.x, o.w, o.y, o.window, "conv2d");
  with_float_type(o.x, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    T* col = scratch<T>(static_cast<std::size_t>(patch * pixels)).data();
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch);
    Eigen::Map<RowMajor<T>> cols(col, patch, pixels);
    for (std::int64_t n = 0; n < s.n; ++n) {
      im2col(o.x.data<T>() + n * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col);
      Eigen::Map<RowMajor<T>> y(o.y.data<T>() + n * s.f * pixels, s.f, pixels);
      y.noalias() = w * cols;
      if (o.bias.defined()) y.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(o.bias.data<T>(), s.f);
    }
  });
}

void run_kernel(const op::Conv2dGrad& o) {
  const ConvShape s = check_conv(o.x, o.w, o.dy, o.window, "conv2d_grad");
  with_float_type(o.x, "conv2d_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    T* col = scratch<T>(static_cast<std::size_t>(2 * patch * pixels)).data();
    T* dcol = col + patch * pixels;
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch);
    Eigen::Map<RowMajor<T>> dw(o.dw.data<T>(), s.f, patch);
    Eigen::Map<RowMajor<T>> cols(col, patch, pixels), dcols(dcol, patch, pixels);
    dw.setZero();
    if (o.dbias.defined()) std::fill_n(o.dbias.data<T>(), s.f, T(0));
    for (std::int64_t n = 0; n < s.n; ++n) {
      Eigen::Map<const RowMajor<T>> dy(o.dy.data<T>() + n * s.f * pixels, s.f, pixels);
      im2col(o.x.data<T>() + n * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col);
      dw.noalias() += dy * cols.transpose();
      if (o.dbias.defined())
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(o.dbias.data<T>(), s.f) += dy.rowwise().sum();
      if (o.dx.defined()) {
        dcols.noalias() = w.transpose() * dy;
        col2im(dcol, s.c, s.h, s.w, s.oh, s.ow, o.window, o.dx.data<T>() + n * s.c * s.h * s.w);
      }
    }
  });
}

void run_kernel(const op::Pool2d& o) {
  const Window2d& g = o.window;
  require(o.x.rank() == 4 && o.y.rank() == 4, "pool2d", "needs (N, C, H, W) tensors, got " + o.x.shape().str());
  const std::int64_t n = o.x.dim(0), c = o.x.dim(1), h = o.x.dim(2), w = o.x.dim(3), oh = g.out_h(h), ow = g.out_w(w);
  require(oh > 0 && ow > 0 && o.y.dim(0) == n && o.y.dim(1) == c && o.y.dim(2) == oh && o.y.dim(3) == ow, "pool2d",
          "output " + o.y.shape().str() + " does not fit input " + o.x.shape().str());
  const bool max = o.kind == PoolKind::Max;
  if (max) require(o.argmax.dtype() == DType::Int32 && o.argmax.numel() == o.y.numel(), "pool2d", "argmax must be int32 like y");
  with_float_type(o.x, "pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    const T area = static_cast<T>(g.kernel_h * g.kernel_w);
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t plane = 0; plane < n * c; ++plane)
      for (std::int64_t oi = 0; oi < oh; ++oi)
        for (std::int64_t oj = 0; oj < ow; ++oj) {
          T best = -std::numeric_limits<T>::infinity(), sum = 0;
          std::int64_t best_at = -1;
          for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
            for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
              const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h, j = oj * g.stride_w - g.pad_w + kj * g.dilation_w;
              if (i < 0 || i >= h || j < 0 || j >= w) continue;
              const T v = x[plane * h * w + i * w + j];
              sum += v;
              if (v > best || best_at < 0) best = v, best_at = i * w + j;
            }
          const std::int64_t out = (plane * oh + oi) * ow + oj;
          y[out] = max ? best : sum / area;
          if (max) arg[out] = static_cast<std::int32_t>(best_at);
        }
  });
}

void run_kernel(const op::Pool2dGrad& o) {
  const Window2d& g = o.window;
  const std::int64_t n = o.dx.dim(0), c = o.dx.dim(1), h = o.dx.dim(2), w = o.dx.dim(3), oh = o.dy.dim(2), ow = o.dy.dim(3);
  with_float_type(o.dy, "pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* dy = o.dy.data<T>();
    T* dx = o.dx.data<T>();
    std::fill_n(dx, o.dx.numel(), T(0));
    const std::int32_t* arg = o.kind == PoolKind::Max ? o.argmax.data<std::int32_t>() : nullptr;
    const T area = static_cast<T>(g.kernel_h * g.kernel_w);
#pragma omp parallel for schedule(static) if (o.dx.numel() > kParallelThreshold)
    for (std::int64_t plane = 0; plane < n * c; ++plane)
      for (std::int64_t oi = 0; oi < oh; ++oi)
        for (std::int64_t oj = 0; oj < ow; ++oj) {
          const std::int64_t out = (plane * oh + oi) * ow + oj;
          if (arg) {
            dx[plane * h * w + arg[out]] += dy[out];
            continue;
          }
          for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
            for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
              const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h, j = oj * g.stride_w - g.pad_w + kj * g.dilation_w;
              if (i >= 0 && i < h && j >= 0 && j < w) dx[plane * h * w + i * w + j] += dy[out] / area;
            }
        }
  });
}

}  // namespace nnplug::cpu
