#include "one_filter_convolution.hpp"

#include <omp.h>

#include <cstring>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "kernels.hpp"

// The builds below AVX-512 pass a 16-float vector differently from code built for AVX-512; these vectors never
// leave this file, whose functions are all local to it.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace nnplug::cpu {

namespace {

using backends::WindowShape;
constexpr std::int64_t L = kChannelBlock;

// A pixel's 16 channels of a block as one value: GCC's vector extension, one AVX-512 register of floats in the
// backend's AVX-512 build, split into narrower ones in the others.
template <typename T>
struct LanesOf;
template <>
struct LanesOf<float> {
  typedef float type __attribute__((vector_size(L * sizeof(float))));
};
template <>
struct LanesOf<double> {
  typedef double type __attribute__((vector_size(L * sizeof(double))));
};
template <typename T>
using Lanes = typename LanesOf<T>::type;

template <typename T>
Lanes<T> load(const T* p) {
  Lanes<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void store(T* p, const Lanes<T>& v) {
  std::memcpy(p, &v, sizeof v);
}

// Output pixels of a row computed together, their 16 lanes each in a register across all their taps.
constexpr std::int64_t kPixelsAtOnce = 8;

// Lane i of the halves that a step of a tree of sums adds, for a pair of vectors a and b that each hold 16 / S
// segments of S partial sums: the first 8 lanes take a's segments' lower (or upper) halves, the last 8 b's.
template <int S, bool kUpper>
constexpr int half_lane(int i) {
  const int from = i / 8, j = i % 8;
  return from * 16 + j / (S / 2) * S + j % (S / 2) + (kUpper ? S / 2 : 0);
}
template <int S, typename V, int... I>
V fold(const V& a, const V& b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, half_lane<S, false>(I)...) + __builtin_shufflevector(a, b, half_lane<S, true>(I)...);
}
template <int S, typename V>
V fold(const V& a, const V& b) {
  return fold<S>(a, b, std::make_integer_sequence<int, 16>());
}

// The sums of eight pixels' 16 lanes, each a tree in a fixed order (lane l and l + 8, then l and l + 4, l and l + 2,
// and the last two), every step one addition of shuffled pairs for all of them: a chain of 16 additions per pixel
// would wait on each.
template <typename T>
void lane_sums(const Lanes<T> (&v)[kPixelsAtOnce], T* out) {
  const Lanes<T> q = fold<4>(fold<8>(fold<16>(v[0], v[1]), fold<16>(v[2], v[3])), fold<8>(fold<16>(v[4], v[5]), fold<16>(v[6], v[7])));
  const Lanes<T> sums = fold<2>(q, q);
  for (int k = 0; k < kPixelsAtOnce; ++k) out[k] = sums[k];
}

// One sample's image in blocks, (C/16, H, W, 16), with the convolution's padding around it as zeros and enough
// zeros after each row for a whole group of kPixelsAtOnce outputs: every tap reads inside it, so the loops over taps
// test nothing. Its storage is per thread (`slot` tells a thread's two apart) and only grows, so that a steady
// training step allocates nothing.
template <typename T>
struct PaddedImage {
  std::int64_t blocks, h, w, rows, cols;  // the image's, and the padded one's rows and columns
  std::int64_t top, left;
  T* values;

  PaddedImage(const WindowShape& s, const Window2d& g, int slot)
      : blocks(s.c / L),
        h(s.h),
        w(s.w),
        rows((s.oh - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1),
        cols(((s.ow + kPixelsAtOnce - 1) / kPixelsAtOnce * kPixelsAtOnce - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1),
        top(g.pad_h),
        left(g.pad_w) {
    thread_local std::vector<T> storage[2];
    storage[slot].assign(static_cast<std::size_t>(blocks * rows * cols * L), T(0));
    values = storage[slot].data();
  }
  // Row r of block b, padding included: its first pixel.
  T* row(std::int64_t b, std::int64_t r) const { return values + (b * rows + r) * cols * L; }
  // Whether the padded image holds all of the image: not where the last windows end before its last rows or columns.
  bool whole() const { return h + top <= rows && w + left <= cols; }

  // Copies the image's pixels that some tap reads in, or the padded image's back (a gradient, whose padding is
  // dropped).
  void copy_in(const T* image) const {
    each_run([&](T* padded, std::int64_t at, std::int64_t n) { std::copy_n(image + at, n, padded); });
  }
  void copy_out(T* image) const {
    each_run([&](T* padded, std::int64_t at, std::int64_t n) { std::copy_n(padded, n, image + at); });
  }
  template <typename Run>
  void each_run(Run&& run) const {
    for (std::int64_t b = 0; b < blocks; ++b)
      for (std::int64_t i = 0; i < std::min(h, rows - top); ++i) run(row(b, i + top) + left * L, (b * h + i) * w * L, std::min(w, cols - left) * L);
  }
};

// The weight (1, C, KH, KW) with each tap's 16 channels of a block side by side: (C/16, KH, KW, 16), as the
// image's pixels hold them.
template <typename T>
std::vector<T> packed_weight(const T* w, const WindowShape& s, const Window2d& g) {
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  std::vector<T> packed(static_cast<std::size_t>(s.c * taps));
  for (std::int64_t c = 0; c < s.c; ++c)
    for (std::int64_t t = 0; t < taps; ++t) packed[static_cast<std::size_t>((c / L * taps + t) * L + c % L)] = w[c * taps + t];
  return packed;
}

// Calls tap(the tap's 16 weights of `filter` (packed), the padded row's pixel that output column 0 reads) for every
// tap of output row oi.
template <typename T, typename Filter, typename Tap>
void each_tap(const PaddedImage<T>& image, const Window2d& g, Filter* filter, std::int64_t oi, Tap&& tap) {
  for (std::int64_t b = 0; b < image.blocks; ++b)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
        tap(filter + ((b * g.kernel_h + ki) * g.kernel_w + kj) * L, image.row(b, oi * g.stride_h + ki * g.dilation_h) + kj * g.dilation_w * L);
}

template <typename T>
void forward(const op::Conv2d& o, const WindowShape& s) {
  const Window2d& g = o.window;
  const std::vector<T> w = packed_weight(o.w.data<T>(), s, g);
  const T* x = o.x.data<T>();
  const T bias = o.bias.defined() ? o.bias.data<T>()[0] : T(0);
  T* y = o.y.data<T>();
  const std::int64_t step = g.stride_w * L;
#pragma omp parallel
  {
    const PaddedImage<T> image(s, g, 0);
#pragma omp for schedule(static)
    for (std::int64_t n = 0; n < s.n; ++n) {
      image.copy_in(x + n * s.c * s.h * s.w);
      T* plane = y + n * s.oh * s.ow;
      for (std::int64_t oi = 0; oi < s.oh; ++oi)
        for (std::int64_t oj = 0; oj < s.ow; oj += kPixelsAtOnce) {
          Lanes<T> acc[kPixelsAtOnce] = {};
          each_tap(image, g, w.data(), oi, [&](const T* weights, const T* row) {
            const Lanes<T> wv = load(weights);
            const T* at = row + oj * step;
            for (std::int64_t k = 0; k < kPixelsAtOnce; ++k) acc[k] += load(at + k * step) * wv;
          });
          T sums[kPixelsAtOnce];
          lane_sums(acc, sums);
          for (std::int64_t k = 0; k < std::min(kPixelsAtOnce, s.ow - oj); ++k) plane[oi * s.ow + oj + k] = sums[k] + bias;
        }
      if (o.epilogue != Pointwise::Identity) apply_pointwise(o.epilogue, o.epilogue_alpha, plane, plane, s.oh * s.ow);
    }
  }
}

template <typename T>
void backward(const op::Conv2dGrad& o, const WindowShape& s) {
  const Window2d& g = o.window;
  const std::int64_t weights = s.c * g.kernel_h * g.kernel_w, pixels = s.oh * s.ow, step = g.stride_w * L;
  const std::vector<T> w = packed_weight(o.w.data<T>(), s, g);
  const T* x = o.dw.defined() ? o.x.data<T>() : nullptr;
  const T* dy = o.dy.data<T>();
  T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
  const bool dbias = o.dbias.defined();
  // Each thread's sums of its samples' weight (packed as w) and bias gradients, added in thread order at the end.
  std::vector<T> sums(static_cast<std::size_t>(omp_get_max_threads() * (weights + 1)), T(0));
#pragma omp parallel
  {
    T* dw = sums.data() + omp_get_thread_num() * (weights + 1);
    // x's, and dx's, each made (and zeroed) only where its pass runs: a transposed convolution's forward asks dx alone.
    std::optional<PaddedImage<T>> image, gradient;
    if (x) image.emplace(s, g, 0);
    if (dx) gradient.emplace(s, g, 1);
#pragma omp for schedule(static)
    for (std::int64_t n = 0; n < s.n; ++n) {
      const T* dy_n = dy + n * pixels;
      if (x) {
        image->copy_in(x + n * s.c * s.h * s.w);
        // Four sums per tap, of every fourth output column, so that their additions do not wait on each other.
        for (std::int64_t oi = 0; oi < s.oh; ++oi) {
          const T* grad = dy_n + oi * s.ow;
          each_tap(*image, g, dw, oi, [&](T* weight, const T* row) {
            Lanes<T> part[4] = {};
            std::int64_t oj = 0;
            for (; oj + 4 <= s.ow; oj += 4)
              for (int k = 0; k < 4; ++k) part[k] += grad[oj + k] * load(row + (oj + k) * step);
            for (; oj < s.ow; ++oj) part[0] += grad[oj] * load(row + oj * step);
            store(weight, load(weight) + ((part[0] + part[1]) + (part[2] + part[3])));
          });
        }
      }
      if (dx) {
        std::fill_n(gradient->values, gradient->blocks * gradient->rows * gradient->cols * L, T(0));
        for (std::int64_t oi = 0; oi < s.oh; ++oi) {
          const T* grad = dy_n + oi * s.ow;
          each_tap(*gradient, g, w.data(), oi, [&](const T* weight, T* row) {
            const Lanes<T> wv = load(weight);
            for (std::int64_t oj = 0; oj < s.ow; ++oj) store(row + oj * step, load(row + oj * step) + grad[oj] * wv);
          });
        }
        T* out = dx + n * s.c * s.h * s.w;
        if (!gradient->whole()) std::fill_n(out, s.c * s.h * s.w, T(0));  // pixels past the last windows: no gradient
        gradient->copy_out(out);
      }
      if (dbias) dw[weights] += std::accumulate(dy_n, dy_n + pixels, T(0));
    }
  }
  if (!x && !dbias) return;
  for (std::int64_t t = 1; t < omp_get_max_threads(); ++t)
    for (std::int64_t k = 0; k <= weights; ++k) sums[static_cast<std::size_t>(k)] += sums[static_cast<std::size_t>(t * (weights + 1) + k)];
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  if (x) {
    T* out = o.dw.data<T>();
    for (std::int64_t c = 0; c < s.c; ++c)
      for (std::int64_t t = 0; t < taps; ++t) out[c * taps + t] = sums[static_cast<std::size_t>((c / L * taps + t) * L + c % L)];
  }
  if (dbias) o.dbias.data<T>()[0] = sums[static_cast<std::size_t>(weights)];
}

// A 1x1 window's few products per pixel leave its memory traffic to decide, and there oneDNN's bfloat16 kernel,
// reading half the bytes, was faster (0.67 against 0.98 ms forward and backward for bench/conv_library_bench's mask).
bool one_filter_of_many_taps(const WindowShape& s, const Window2d& g) { return s.f == 1 && g.kernel_h * g.kernel_w > 1; }

}  // namespace

bool one_filter_conv2d(const op::Conv2d& o, const WindowShape& s) {
  if (o.x.row_major() || !o.y.row_major() || !one_filter_of_many_taps(s, o.window)) return false;
  with_float_type(o.x, "conv2d", [&](auto tag) { forward<decltype(tag)>(o, s); });
  return true;
}

bool one_filter_conv2d_grad(const op::Conv2dGrad& o, const WindowShape& s) {
  if (o.x.row_major() || !o.dy.row_major() || (o.dx.defined() && o.dx.row_major()) || !one_filter_of_many_taps(s, o.window)) return false;
  with_float_type(o.x, "conv2d_grad", [&](auto tag) { backward<decltype(tag)>(o, s); });
  return true;
}

}  // namespace nnplug::cpu
