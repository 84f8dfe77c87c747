// 2-D pooling, max and average, over row-major images (planes of H x W) and over images in channel blocks of 16
// (planes of 16-channel pixels, whose 16 channels are pooled side by side).
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels.hpp"

namespace nnplug::cpu {

namespace {

// Kernel taps [lo, hi) along one axis.
struct Span {
  std::int64_t lo, hi;
};

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

// Windows that all lie inside the input with their taps side by side (no padding, no dilation): the usual pooling,
// 1-D and global pooling, and upsampling's blocks. Their loops need no per-window bounds: the general loop's
// window_taps divides twice a window, more than a small window's work.
bool windows_inside(const Window2d& g, std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow) {
  return g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 && (oh - 1) * g.stride_h + g.kernel_h <= h &&
         (ow - 1) * g.stride_w + g.kernel_w <= w;
}

// Such windows' maxima, one output at a time, the taps in the general loop's order (ties to the first in row-major
// order). The maximum is kept in registers and chosen by selects: which tap wins is data-dependent, and a maximum
// kept in the output row was compared by a branch, mispredicted half the time.
template <typename T>
void max_pool_inside(const T* x, T* y, std::int32_t* arg, const Window2d& g, std::int64_t planes, std::int64_t h, std::int64_t w,
                     std::int64_t oh, std::int64_t ow) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const T* p = x + plane * h * w;
    for (std::int64_t oi = 0; oi < oh; ++oi)
      for (std::int64_t oj = 0; oj < ow; ++oj) {
        const std::int64_t out = (plane * oh + oi) * ow + oj, first = oi * g.stride_h * w + oj * g.stride_w;
        T best = p[first];
        std::int64_t best_at = first;
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
          for (std::int64_t tap = first + ki * w; tap < first + ki * w + g.kernel_w; ++tap) {
            const bool greater = p[tap] > best;
            best = greater ? p[tap] : best;
            best_at = greater ? tap : best_at;
          }
        y[out] = best;
        arg[out] = static_cast<std::int32_t>(best_at);
      }
  }
}

// One average a plane (global pooling): sixteen planes at a time, each summing its taps in the general loop's
// order, so that sixteen chains of dependent additions run side by side. A plane alone was one chain of 49 (the
// ResNet's 7 x 7), with a loop over its one output per tap.
template <typename T>
void avg_pool_one_output(const T* x, T* y, const Window2d& g, std::int64_t planes, std::int64_t h, std::int64_t w) {
  constexpr std::int64_t kLanes = 16;
  const T area = static_cast<T>(g.kernel_h * g.kernel_w);
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t first = 0; first < planes; first += kLanes) {
    const std::int64_t lanes = std::min(kLanes, planes - first);
    const T* p = x + first * h * w;
    T sums[kLanes] = {};
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t tap = ki * w; tap < ki * w + g.kernel_w; ++tap)
        for (std::int64_t lane = 0; lane < lanes; ++lane) sums[lane] += p[lane * h * w + tap];
    for (std::int64_t lane = 0; lane < lanes; ++lane) y[first + lane] = sums[lane] / area;
  }
}

// Their averages an output row at a time, a pass along the row per tap, in the general loop's order of taps: the
// same sums.
template <typename T>
void avg_pool_inside(const T* x, T* y, const Window2d& g, std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t oh,
                     std::int64_t ow) {
  if (oh == 1 && ow == 1) return avg_pool_one_output(x, y, g, planes, h, w);
  const T area = static_cast<T>(g.kernel_h * g.kernel_w);
  const std::int64_t sw = g.stride_w;
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t oi = 0; oi < oh; ++oi) {
      const T* p = x + plane * h * w + oi * g.stride_h * w;
      T* __restrict yr = y + (plane * oh + oi) * ow;
      std::fill_n(yr, ow, T(0));
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
        for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
          const T* __restrict v = p + ki * w + kj;
          for (std::int64_t oj = 0; oj < ow; ++oj) yr[oj] += v[oj * sw];
        }
      for (std::int64_t oj = 0; oj < ow; ++oj) yr[oj] /= area;
    }
}

// Max pooling's gradient for any window: each output's gradient added at its winner (none where the window lay
// wholly in the padding, or where the ReLU before cut the maximum), the outputs in the general loop's order.
template <typename T>
void max_pool_grad_scatter(const T* dy, const std::int32_t* arg, const T* relu_y, T* dx, std::int64_t planes, std::int64_t h,
                           std::int64_t w, std::int64_t outputs) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    T* p = dx + plane * h * w;
    std::fill_n(p, h * w, T(0));
    for (std::int64_t out = plane * outputs; out < (plane + 1) * outputs; ++out)
      if (arg[out] >= 0 && (!relu_y || relu_y[out] > T(0))) p[arg[out]] += dy[out];
  }
}

// Average pooling's gradient for windows inside the input: each output row's share, dy / area, added along the
// row per tap row, outputs and taps in the general loop's order. Windows that tile the input exactly (upsampling's
// blocks) write each input once, so that no zeroing pass comes first, and a block's rows are copies of its first.
template <typename T>
void avg_pool_grad_inside(const T* dy, T* dx, const Window2d& g, std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t oh,
                          std::int64_t ow) {
  const T area = static_cast<T>(g.kernel_h * g.kernel_w);
  const std::int64_t sw = g.stride_w, kw = g.kernel_w;
  const bool tiled = g.stride_h == g.kernel_h && sw == kw && oh * g.kernel_h == h && ow * kw == w;
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelThreshold)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    T* p = dx + plane * h * w;
    if (!tiled) std::fill_n(p, h * w, T(0));
    for (std::int64_t oi = 0; oi < oh; ++oi) {
      const T* d = dy + (plane * oh + oi) * ow;
      T* first = p + oi * g.stride_h * w;
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
        T* __restrict row = first + ki * w;
        if (tiled && ki > 0) {
          std::copy_n(first, w, row);
          continue;
        }
        for (std::int64_t oj = 0; oj < ow; ++oj) {
          const T share = d[oj] / area;
          if (tiled) std::fill_n(row + oj * sw, kw, share);
          else
            for (std::int64_t kj = 0; kj < kw; ++kj) row[oj * sw + kj] += share;
        }
      }
    }
  }
}

// Images in channel blocks of 16: each (sample, block) slab is a plane of pixels of 16 channels, pooled side by
// side, with the same window loop, ties and argmax (the tap's index in its channel's H x W plane) as row-major images.
struct BlockedPlanes {
  std::int64_t slabs, h, w, oh, ow;
  explicit BlockedPlanes(const backends::WindowShape& s) : slabs(s.n * s.c / kChannelBlock), h(s.h), w(s.w), oh(s.oh), ow(s.ow) {}
  std::int64_t elements() const { return slabs * h * w * kChannelBlock; }
};

// The common case, max over 2x2 windows at stride 2, in blocks: the four taps of a window are four vectors of 16
// channels, compared as the row-major loop compares them (ties to the first in row-major order).
template <typename T>
void max_pool_2x2_in_blocks(const op::Pool2d& o, const BlockedPlanes& b) {
  constexpr std::int64_t L = kChannelBlock;
  const auto w = static_cast<std::int32_t>(b.w);
  const T* x_all = o.x.data<T>();
  T* y_all = o.y.data<T>();
  std::int32_t* arg_all = o.argmax.data<std::int32_t>();
#pragma omp parallel for schedule(static) if (b.elements() > kParallelThreshold)
  for (std::int64_t slab = 0; slab < b.slabs; ++slab)
    for (std::int64_t oi = 0; oi < b.oh; ++oi)
      for (std::int64_t oj = 0; oj < b.ow; ++oj) {
        const auto first = static_cast<std::int32_t>(2 * oi * b.w + 2 * oj);
        const T* __restrict top = x_all + (slab * b.h * b.w + first) * L;
        const T* __restrict bottom = top + b.w * L;
        T* __restrict y = y_all + ((slab * b.oh + oi) * b.ow + oj) * L;
        std::int32_t* __restrict arg = arg_all + ((slab * b.oh + oi) * b.ow + oj) * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) {
          const T a = top[l], bb = top[L + l], c = bottom[l], d = bottom[L + l];
          const bool b_wins = bb > a, d_wins = d > c;
          const T ab = b_wins ? bb : a, cd = d_wins ? d : c;
          const bool cd_wins = cd > ab;
          y[l] = cd_wins ? cd : ab;
          arg[l] = first + (cd_wins ? (d_wins ? w + 1 : w) : (b_wins ? 1 : 0));
        }
      }
}

template <typename T>
void pool_in_blocks(const op::Pool2d& o, const BlockedPlanes& b) {
  if (o.kind == PoolKind::Max && is_plain_2x2(o.window)) return max_pool_2x2_in_blocks<T>(o, b);
  const Window2d& g = o.window;
  const bool max = o.kind == PoolKind::Max;
  const T area = static_cast<T>(g.kernel_h * g.kernel_w);
  constexpr std::int64_t L = kChannelBlock;
  const T* x_all = o.x.data<T>();
  T* y_all = o.y.data<T>();
  std::int32_t* arg_all = max ? o.argmax.data<std::int32_t>() : nullptr;
#pragma omp parallel for schedule(static) if (b.elements() > kParallelThreshold)
  for (std::int64_t slab = 0; slab < b.slabs; ++slab) {
    const T* x = x_all + slab * b.h * b.w * L;
    for (std::int64_t oi = 0; oi < b.oh; ++oi) {
      const std::int64_t i0 = oi * g.stride_h - g.pad_h;
      const Span rows = window_taps(i0, g.dilation_h, g.kernel_h, b.h);
      for (std::int64_t oj = 0; oj < b.ow; ++oj) {
        const std::int64_t j0 = oj * g.stride_w - g.pad_w, out = ((slab * b.oh + oi) * b.ow + oj) * L;
        const Span cols = window_taps(j0, g.dilation_w, g.kernel_w, b.w);
        T* y = y_all + out;
        std::int32_t* arg = max ? arg_all + out : nullptr;
        if (rows.lo == rows.hi || cols.lo == cols.hi) {  // a window wholly in the padding
          std::fill_n(y, L, max ? -std::numeric_limits<T>::infinity() : T(0));
          if (max) std::fill_n(arg, L, -1);
          continue;
        }
        T best[L], sum[L] = {};
        std::int32_t best_at[L];
        const auto first = static_cast<std::int32_t>((i0 + rows.lo * g.dilation_h) * b.w + j0 + cols.lo * g.dilation_w);
        std::copy_n(x + first * L, L, best);
        std::fill_n(best_at, L, first);
        for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
          for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) {
            const auto at = static_cast<std::int32_t>((i0 + ki * g.dilation_h) * b.w + j0 + kj * g.dilation_w);
            const T* v = x + at * L;
#pragma omp simd
            for (std::int64_t l = 0; l < L; ++l) {
              sum[l] += v[l];
              const bool greater = v[l] > best[l];
              best[l] = greater ? v[l] : best[l];
              best_at[l] = greater ? at : best_at[l];
            }
          }
        if (!max) {
          for (std::int64_t l = 0; l < L; ++l) y[l] = sum[l] / area;
          continue;
        }
        std::copy_n(best, L, y);
        std::copy_n(best_at, L, arg);
      }
    }
  }
}

// Its gradient: each window's four taps written once, the gradient at the winner and zeros elsewhere, so that no
// zeroing pass comes first; rows and columns no window covers (odd sizes) are zeroed.
template <typename T>
void max_pool_2x2_grad_in_blocks(const op::Pool2dGrad& o, const BlockedPlanes& b, const T* relu_y) {
  constexpr std::int64_t L = kChannelBlock;
  const auto w = static_cast<std::int32_t>(b.w);
  const T* dy_all = o.dy.data<T>();
  const std::int32_t* arg_all = o.argmax.data<std::int32_t>();
  T* dx_all = o.dx.data<T>();
#pragma omp parallel for schedule(static) if (b.elements() > kParallelThreshold)
  for (std::int64_t slab = 0; slab < b.slabs; ++slab) {
    T* plane = dx_all + slab * b.h * b.w * L;
    std::fill_n(plane + 2 * b.oh * b.w * L, (b.h - 2 * b.oh) * b.w * L, T(0));
    for (std::int64_t r = 0; b.w != 2 * b.ow && r < 2 * b.oh; ++r) std::fill_n(plane + (r * b.w + b.w - 1) * L, L, T(0));
    for (std::int64_t oi = 0; oi < b.oh; ++oi)
      for (std::int64_t oj = 0; oj < b.ow; ++oj) {
        const auto first = static_cast<std::int32_t>(2 * oi * b.w + 2 * oj);
        const std::int64_t out = ((slab * b.oh + oi) * b.ow + oj) * L;
        const T* __restrict dy = dy_all + out;
        const T* __restrict y = relu_y ? relu_y + out : nullptr;
        const std::int32_t* __restrict arg = arg_all + out;
        T* __restrict top = plane + first * L;
        T* __restrict bottom = top + b.w * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) {
          const T v = y && !(y[l] > T(0)) ? T(0) : dy[l];
          const std::int32_t at = arg[l] - first;
          top[l] = at == 0 ? v : T(0);
          top[L + l] = at == 1 ? v : T(0);
          bottom[l] = at == w ? v : T(0);
          bottom[L + l] = at == w + 1 ? v : T(0);
        }
      }
  }
}

template <typename T>
void pool_grad_in_blocks(const op::Pool2dGrad& o, const BlockedPlanes& b) {
  const Window2d& g = o.window;
  const T area = static_cast<T>(g.kernel_h * g.kernel_w);
  const T* relu_y = o.input_activation == Pointwise::Relu ? o.y.data<T>() : nullptr;
  if (o.kind == PoolKind::Max && is_plain_2x2(g)) return max_pool_2x2_grad_in_blocks(o, b, relu_y);
  const std::int32_t* argmax = o.kind == PoolKind::Max ? o.argmax.data<std::int32_t>() : nullptr;
  constexpr std::int64_t L = kChannelBlock;
  const T* dy_all = o.dy.data<T>();
  T* dx_all = o.dx.data<T>();
#pragma omp parallel for schedule(static) if (b.elements() > kParallelThreshold)
  for (std::int64_t slab = 0; slab < b.slabs; ++slab) {
    T* dx = dx_all + slab * b.h * b.w * L;
    std::fill_n(dx, b.h * b.w * L, T(0));
    for (std::int64_t oi = 0; oi < b.oh; ++oi) {
      const std::int64_t i0 = oi * g.stride_h - g.pad_h;
      const Span rows = window_taps(i0, g.dilation_h, g.kernel_h, b.h);
      for (std::int64_t oj = 0; oj < b.ow; ++oj) {
        const std::int64_t j0 = oj * g.stride_w - g.pad_w, out = ((slab * b.oh + oi) * b.ow + oj) * L;
        const T* dy = dy_all + out;
        if (argmax) {
          // The winner's gradient, 0 where the ReLU before cut the maximum: added to each of the window's taps where
          // it won, so that the loop has no scatter and vectorises.
          T routed[L];
          const std::int32_t* arg = argmax + out;
          for (std::int64_t l = 0; l < L; ++l) routed[l] = relu_y && !(relu_y[out + l] > T(0)) ? T(0) : dy[l];
          const Span cols = window_taps(j0, g.dilation_w, g.kernel_w, b.w);
          for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
            for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) {
              const auto at = static_cast<std::int32_t>((i0 + ki * g.dilation_h) * b.w + j0 + kj * g.dilation_w);
              T* d = dx + at * L;
#pragma omp simd
              for (std::int64_t l = 0; l < L; ++l) d[l] += arg[l] == at ? routed[l] : T(0);
            }
          continue;
        }
        const Span cols = window_taps(j0, g.dilation_w, g.kernel_w, b.w);
        for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
          for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) {
            T* d = dx + ((i0 + ki * g.dilation_h) * b.w + j0 + kj * g.dilation_w) * L;
#pragma omp simd
            for (std::int64_t l = 0; l < L; ++l) d[l] += dy[l] / area;
          }
      }
    }
  }
}

}  // namespace

void run_kernel(const op::Pool2d& o) {
  const Window2d& g = o.window;
  // Plain copies, not structured bindings: clang 14 (the sanitizer build) cannot capture those in lambdas.
  const backends::WindowShape s = kChecks.pool(o.x, o.y, o.argmax, o.kind, g, "pool2d");
  if (!o.x.row_major()) return with_float_type(o.x, "pool2d", [&](auto tag) { pool_in_blocks<decltype(tag)>(o, BlockedPlanes(s)); });
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
    if (windows_inside(g, h, w, oh, ow))
      return max ? max_pool_inside(x, y, arg, g, n * c, h, w, oh, ow) : avg_pool_inside(x, y, g, n * c, h, w, oh, ow);
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
  if (!o.dx.row_major()) return with_float_type(o.dy, "pool2d_grad", [&](auto tag) { pool_grad_in_blocks<decltype(tag)>(o, BlockedPlanes(s)); });
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
    if (o.kind == PoolKind::Max) return max_pool_grad_scatter(dy, o.argmax.data<std::int32_t>(), relu_y, dx, n * c, h, w, oh * ow);
    if (windows_inside(g, h, w, oh, ow)) return avg_pool_grad_inside(dy, dx, g, n * c, h, w, oh, ow);
    std::fill_n(dx, o.dx.numel(), T(0));
    const T area = static_cast<T>(g.kernel_h * g.kernel_w);
    for_each_window(n * c, h, w, oh, ow, g, [&](std::int64_t plane, std::int64_t out, std::int64_t i0, Span rows, std::int64_t j0, Span cols) {
      T* p = dx + plane * h * w;
      for (std::int64_t ki = rows.lo; ki < rows.hi; ++ki)
        for (std::int64_t kj = cols.lo; kj < cols.hi; ++kj) p[(i0 + ki * g.dilation_h) * w + j0 + kj * g.dilation_w] += dy[out] / area;
    });
  });
}

}  // namespace nnplug::cpu
