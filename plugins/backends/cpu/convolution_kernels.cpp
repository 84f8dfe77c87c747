// 2-D convolution by im2col and GEMM (float32 convolutions of many channels go to oneDNN, see
// onednn_convolution.hpp), and 2-D pooling. Scratch buffers are per thread and only grow, so a steady
// training step allocates nothing.
#include <Eigen/Core>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels.hpp"
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

}  // namespace

void run_kernel(const op::Conv2d& o, bool bfloat16) {
  const ConvShape s = kChecks.conv(o.x, o.w, o.y, o.window, "conv2d");
  if (onednn_conv2d(o, s, bfloat16)) return;
  with_float_type(o.x, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    const Grouping groups(s);
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch);
#pragma omp parallel for schedule(static)
    for (std::int64_t gi = 0; gi < groups.count; ++gi) {
      const std::int64_t n0 = gi * groups.group, g = groups.size(gi, s.n), ld = g * pixels;
      T* col = scratch<T>(0, patch * ld);
      for (std::int64_t k = 0; k < g; ++k)
        im2col(o.x.data<T>() + (n0 + k) * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col + k * pixels, ld);
      Eigen::Map<RowMajor<T>> out(g == 1 ? o.y.data<T>() + n0 * s.f * pixels : scratch<T>(1, s.f * ld), s.f, ld);
      out.noalias() = w * Eigen::Map<RowMajor<T>>(col, patch, ld);
      if (o.bias.defined()) out.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(o.bias.data<T>(), s.f);
      if (o.epilogue != Pointwise::Identity) apply_pointwise(o.epilogue, o.epilogue_alpha, out.data(), out.data(), out.size());
      for (std::int64_t k = 0; g > 1 && k < g; ++k)
        Eigen::Map<RowMajor<T>>(o.y.data<T>() + (n0 + k) * s.f * pixels, s.f, pixels) = out.middleCols(k * pixels, pixels);
    }
  });
}

void run_kernel(const op::Conv2dGrad& o, bool bfloat16) {
  const ConvShape s = kChecks.conv(o.x, o.w, o.dy, o.window, "conv2d_grad");
  if (onednn_conv2d_grad(o, s, bfloat16)) return;
  with_float_type(o.x, "conv2d_grad", [&](auto tag) {
    using T = decltype(tag);
    using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    const std::int64_t patch = s.c * o.window.kernel_h * o.window.kernel_w, pixels = s.oh * s.ow;
    const Grouping groups(s);
    Eigen::Map<const RowMajor<T>> w(o.w.data<T>(), s.f, patch);
    Eigen::Map<RowMajor<T>> dw(o.dw.data<T>(), s.f, patch);
    Eigen::Map<Vector> dbias(o.dbias.defined() ? o.dbias.data<T>() : nullptr, o.dbias.defined() ? s.f : 0);
    dw.setZero();
    dbias.setZero();
#pragma omp parallel
    {
      // Each thread sums its samples' weight gradients on its own, then adds them to dw once.
      Eigen::Map<RowMajor<T>> my_dw(scratch<T>(3, s.f * patch + s.f), s.f, patch);
      Eigen::Map<Vector> my_dbias(my_dw.data() + s.f * patch, dbias.size());
      my_dw.setZero();
      my_dbias.setZero();
#pragma omp for schedule(static)
      for (std::int64_t gi = 0; gi < groups.count; ++gi) {
        const std::int64_t n0 = gi * groups.group, g = groups.size(gi, s.n), ld = g * pixels;
        T* col = scratch<T>(0, patch * ld);
        const T* dy_at = o.dy.data<T>() + n0 * s.f * pixels;
        if (g > 1) {
          T* gathered = scratch<T>(1, s.f * ld);
          for (std::int64_t k = 0; k < g; ++k)
            Eigen::Map<RowMajor<T>>(gathered, s.f, ld).middleCols(k * pixels, pixels) =
                Eigen::Map<const RowMajor<T>>(dy_at + k * s.f * pixels, s.f, pixels);
          dy_at = gathered;
        }
        Eigen::Map<const RowMajor<T>> dy(dy_at, s.f, ld);
        for (std::int64_t k = 0; k < g; ++k)
          im2col(o.x.data<T>() + (n0 + k) * s.c * s.h * s.w, s.c, s.h, s.w, s.oh, s.ow, o.window, col + k * pixels, ld);
        my_dw.noalias() += dy * Eigen::Map<RowMajor<T>>(col, patch, ld).transpose();
        if (my_dbias.size()) my_dbias += dy.rowwise().sum();
        if (o.dx.defined()) {
          T* dcol = scratch<T>(2, patch * ld);
          Eigen::Map<RowMajor<T>>(dcol, patch, ld).noalias() = w.transpose() * dy;
          for (std::int64_t k = 0; k < g; ++k)
            col2im(dcol + k * pixels, s.c, s.h, s.w, s.oh, s.ow, o.window, o.dx.data<T>() + (n0 + k) * s.c * s.h * s.w, ld);
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

namespace {

// The kernel taps k in [lo, hi) whose input position start + k * dilation lies inside [0, extent).
Span window_taps(std::int64_t start, std::int64_t dilation, std::int64_t kernel, std::int64_t extent) {
  const std::int64_t lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  const std::int64_t hi = start >= extent ? 0 : std::min(kernel, (extent - 1 - start) / dilation + 1);
  return {std::min(lo, kernel), std::max(std::min(lo, kernel), hi)};
}

// Calls f(plane, out, i0, rows, j0, cols) for every output of every (sample, channel) plane: (i0, j0) is the
// window's top-left input position and rows/cols the taps inside the input, so that f needs no bounds checks.
template <typename F>
void for_each_window(std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow, const Window2d& g, F&& f) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t oi = 0; oi < oh; ++oi) {
      const std::int64_t i0 = oi * g.stride_h - g.pad_h;
      const Span rows = window_taps(i0, g.dilation_h, g.kernel_h, h);
      for (std::int64_t oj = 0; oj < ow; ++oj) {
        const std::int64_t j0 = oj * g.stride_w - g.pad_w;
        f(plane, (plane * oh + oi) * ow + oj, i0, rows, j0, window_taps(j0, g.dilation_w, g.kernel_w, w));
      }
    }
}

bool is_plain_2x2(const Window2d& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 && g.pad_w == 0 &&
         g.dilation_h == 1 && g.dilation_w == 1;
}

#if defined(__AVX512F__)
// One output row of the 2x2 case in float32, 16 outputs a step: the row pair's 32 inputs are split into even and
// odd columns by permutes, and masks carry the taps that win. Rows of 13 or 14 outputs (the CNNs') are one masked
// step, where the compiler's vector loop never starts and its scalar remainder ran instead.
void max_pool_2x2_row(const float* top, const float* bottom, float* out, std::int32_t* out_arg, std::int32_t row, std::int32_t width,
                      std::int64_t ow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (std::int64_t j0 = 0; j0 < ow; j0 += 16) {
    const auto n = static_cast<unsigned>(std::min<std::int64_t>(16, ow - j0));  // outputs this step: 2n inputs per row
    const auto low = static_cast<__mmask16>(n >= 8 ? 0xFFFFu : (1u << (2 * n)) - 1);
    const auto high = static_cast<__mmask16>(n > 8 ? (1u << (2 * n - 16)) - 1 : 0u);
    const float* t = top + 2 * j0;
    const float* b = bottom + 2 * j0;
    const __m512 t0 = _mm512_maskz_loadu_ps(low, t), t1 = _mm512_maskz_loadu_ps(high, t + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(low, b), b1 = _mm512_maskz_loadu_ps(high, b + 16);
    const __m512 tap_a = _mm512_permutex2var_ps(t0, even, t1), tap_b = _mm512_permutex2var_ps(t0, odd, t1);
    const __m512 tap_c = _mm512_permutex2var_ps(b0, even, b1), tap_d = _mm512_permutex2var_ps(b0, odd, b1);
    // Ties go to the first in row-major order, as in the general loop.
    const __mmask16 b_wins = _mm512_cmp_ps_mask(tap_b, tap_a, _CMP_GT_OQ), d_wins = _mm512_cmp_ps_mask(tap_d, tap_c, _CMP_GT_OQ);
    const __m512 ab = _mm512_mask_blend_ps(b_wins, tap_a, tap_b), cd = _mm512_mask_blend_ps(d_wins, tap_c, tap_d);
    const __mmask16 cd_wins = _mm512_cmp_ps_mask(cd, ab, _CMP_GT_OQ);
    const auto keep = static_cast<__mmask16>((1u << n) - 1);
    _mm512_mask_storeu_ps(out + j0, keep, _mm512_mask_blend_ps(cd_wins, ab, cd));
    const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(row + 2 * static_cast<std::int32_t>(j0)), even);
    const __m512i ab_at = _mm512_maskz_mov_epi32(b_wins, _mm512_set1_epi32(1));
    const __m512i cd_at = _mm512_mask_blend_epi32(d_wins, _mm512_set1_epi32(width), _mm512_set1_epi32(width + 1));
    _mm512_mask_storeu_epi32(out_arg + j0, keep, _mm512_add_epi32(first, _mm512_mask_blend_epi32(cd_wins, ab_at, cd_at)));
  }
}
#endif

#if defined(__AVX512F__)
// Its gradient in float32: each window's four taps written once, the gradient at the winner and zeros elsewhere,
// interleaved back into the two rows by permutes; the zeroing pass and the scatter of the general loop go. Rows
// and columns no window covers (odd sizes) are zeroed. relu_y (optional) is the pooling's output where the input
// was a ReLU's: a window whose maximum is 0 routes nothing (op::Pool2dGrad::input_activation).
void max_pool_2x2_grad(const float* dy, const std::int32_t* arg, const float* relu_y, float* dx, std::int64_t planes, std::int64_t h,
                       std::int64_t w, std::int64_t oh, std::int64_t ow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i first_half = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i second_half = _mm512_add_epi32(first_half, _mm512_set1_epi32(8));
  const auto width = static_cast<std::int32_t>(w);
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    float* p = dx + plane * h * w;
    if (h != 2 * oh) std::fill_n(p + 2 * oh * w, (h - 2 * oh) * w, 0.0f);
    if (w != 2 * ow)
      for (std::int64_t r = 0; r < 2 * oh; ++r) p[r * w + w - 1] = 0.0f;
    for (std::int64_t oi = 0; oi < oh; ++oi) {
      float* top = p + 2 * oi * w;
      float* bottom = top + w;
      const std::int64_t first_out = (plane * oh + oi) * ow;
      const float* g = dy + first_out;
      const std::int32_t* a = arg + first_out;
      const float* y = relu_y ? relu_y + first_out : nullptr;
      const auto row = static_cast<std::int32_t>(2 * oi * w);
      for (std::int64_t j0 = 0; j0 < ow; j0 += 16) {
        const auto n = static_cast<unsigned>(std::min<std::int64_t>(16, ow - j0));
        const auto keep = static_cast<__mmask16>((1u << n) - 1);
        const auto low = static_cast<__mmask16>(n >= 8 ? 0xFFFFu : (1u << (2 * n)) - 1);
        const auto high = static_cast<__mmask16>(n > 8 ? (1u << (2 * n - 16)) - 1 : 0u);
        __m512 v = _mm512_maskz_loadu_ps(keep, g + j0);
        if (y) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(keep, y + j0), _mm512_setzero_ps(), _CMP_GT_OQ), v);
        // Where the winner sits in its window: 0, 1, w or w + 1.
        const __m512i at = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(keep, a + j0),
                                            _mm512_add_epi32(_mm512_set1_epi32(row + 2 * static_cast<std::int32_t>(j0)), even));
        const __m512 tap_a = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_setzero_si512()), v);
        const __m512 tap_b = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_set1_epi32(1)), v);
        const __m512 tap_c = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_set1_epi32(width)), v);
        const __m512 tap_d = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_set1_epi32(width + 1)), v);
        _mm512_mask_storeu_ps(top + 2 * j0, low, _mm512_permutex2var_ps(tap_a, first_half, tap_b));
        _mm512_mask_storeu_ps(top + 2 * j0 + 16, high, _mm512_permutex2var_ps(tap_a, second_half, tap_b));
        _mm512_mask_storeu_ps(bottom + 2 * j0, low, _mm512_permutex2var_ps(tap_c, first_half, tap_d));
        _mm512_mask_storeu_ps(bottom + 2 * j0 + 16, high, _mm512_permutex2var_ps(tap_c, second_half, tap_d));
      }
    }
  }
}
#endif

// The common case, 2x2 windows at stride 2 without padding, apart from the general window loop.
template <typename T>
void max_pool_2x2(const T* x, T* y, std::int32_t* arg, std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t oh,
                  std::int64_t ow) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t oi = 0; oi < oh; ++oi) {
      const T* top = x + plane * h * w + 2 * oi * w;
      const T* bottom = top + w;
      T* out = y + (plane * oh + oi) * ow;
      std::int32_t* out_arg = arg + (plane * oh + oi) * ow;
      const auto row = static_cast<std::int32_t>(2 * oi * w), width = static_cast<std::int32_t>(w);
#if defined(__AVX512F__)
      if constexpr (std::is_same_v<T, float>) {
        max_pool_2x2_row(top, bottom, out, out_arg, row, width, ow);
        continue;
      }
#endif
      // Selects, not branches: which tap wins is data-dependent.
      for (std::int32_t oj = 0; oj < static_cast<std::int32_t>(ow); ++oj) {
        const T a = top[2 * oj], b = top[2 * oj + 1], c = bottom[2 * oj], d = bottom[2 * oj + 1];
        // Ties go to the first in row-major order, as in the general loop.
        const bool b_wins = b > a, d_wins = d > c;
        const T ab = b_wins ? b : a, cd = d_wins ? d : c;
        const bool cd_wins = cd > ab;
        out[oj] = cd_wins ? cd : ab;
        out_arg[oj] = row + 2 * oj + (cd_wins ? (d_wins ? width + 1 : width) : (b_wins ? 1 : 0));
      }
    }
}

}  // namespace

void run_kernel(const op::Pool2d& o) {
  const Window2d& g = o.window;
  // Plain copies, not structured bindings: clang 14 (the sanitizer build) cannot capture those in lambdas.
  const backends::WindowShape s = kChecks.pool(o.x, o.y, o.argmax, o.kind, g, "pool2d");
  const std::int64_t n = s.n, c = s.c, h = s.h, w = s.w, oh = s.oh, ow = s.ow;
  const bool max = o.kind == PoolKind::Max;
  with_float_type(o.x, "pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    std::int32_t* arg = max ? o.argmax.data<std::int32_t>() : nullptr;
    const T area = static_cast<T>(g.kernel_h * g.kernel_w);
    if (max && is_plain_2x2(g)) {
      max_pool_2x2(x, y, arg, n * c, h, w, oh, ow);
      return;
    }
    for_each_window(n * c, h, w, oh, ow, g, [&](std::int64_t plane, std::int64_t out, std::int64_t i0, Span rows, std::int64_t j0, Span cols) {
      const T* p = x + plane * h * w;
      if (rows.lo == rows.hi || cols.lo == cols.hi) {  // a window wholly in the padding
        y[out] = max ? -std::numeric_limits<T>::infinity() : T(0);
        if (max) arg[out] = -1;
        return;
      }
      // Branch-free maximum: which tap wins is data-dependent, so a branch would be mispredicted half the time.
      std::int64_t best_at = (i0 + rows.lo * g.dilation_h) * w + j0 + cols.lo * g.dilation_w;
      T best = p[best_at], sum = 0;
      for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
        for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) {
          const std::int64_t at = (i0 + ki * g.dilation_h) * w + j0 + kj * g.dilation_w;
          const T v = p[at];
          sum += v;
          const bool greater = v > best;
          best = greater ? v : best;
          best_at = greater ? at : best_at;
        }
      y[out] = max ? best : sum / area;
      if (max) arg[out] = static_cast<std::int32_t>(best_at);
    });
  });
}

void run_kernel(const op::Pool2dGrad& o) {
  const Window2d& g = o.window;
  // Plain copies, not structured bindings: clang 14 (the sanitizer build) cannot capture those in lambdas.
  const backends::WindowShape s = kChecks.pool_grad(o);
  const std::int64_t n = s.n, c = s.c, h = s.h, w = s.w, oh = s.oh, ow = s.ow;
  with_float_type(o.dy, "pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* dy = o.dy.data<T>();
    T* dx = o.dx.data<T>();
    const T* relu_y = o.input_activation == Pointwise::Relu ? o.y.data<T>() : nullptr;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
      if (o.kind == PoolKind::Max && is_plain_2x2(g)) {
        max_pool_2x2_grad(dy, o.argmax.data<std::int32_t>(), relu_y, dx, n * c, h, w, oh, ow);
        return;
      }
    }
#endif
    std::fill_n(dx, o.dx.numel(), T(0));
    const std::int32_t* arg = o.kind == PoolKind::Max ? o.argmax.data<std::int32_t>() : nullptr;
    const T area = static_cast<T>(g.kernel_h * g.kernel_w);
    for_each_window(n * c, h, w, oh, ow, g, [&](std::int64_t plane, std::int64_t out, std::int64_t i0, Span rows, std::int64_t j0, Span cols) {
      T* p = dx + plane * h * w;
      if (arg) {
        if (arg[out] >= 0 && (!relu_y || relu_y[out] > T(0))) p[arg[out]] += dy[out];
        return;
      }
      for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
        for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) p[(i0 + ki * g.dilation_h) * w + j0 + kj * g.dilation_w] += dy[out] / area;
    });
  });
}

}  // namespace nnplug::cpu
