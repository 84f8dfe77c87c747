// Ops that draw random numbers: the dropouts. Numbers come from counter_random, a function of (seed, index).
#include <cmath>

#include "bfloat16.hpp"
#include "kernels.hpp"
#include "op_constants.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cpu {

namespace {

// Inverted or alpha dropout over [begin, end), element i kept where (mix(seed, first + i) >> 11) >= threshold: a
// function of its own, with restrict-qualified pointers (y may be x itself, in place), so that the loop vectorises,
// the hash included (AVX-512's 64-bit multiplies): X11's first dropout went from 1,532 to 80 us here
// (bench/x11_kernels_bench). Inverted: mask = kept ? scale : 0, y = x mask. Alpha: mask = kept ? scale : 0,
// y = kept ? scale x + shift : dropped.
template <typename T, bool kInPlace, bool kAlpha>
void dropout_range(const T* x, T* y, T* __restrict mask, std::int64_t begin, std::int64_t end, std::uint64_t seed,
                   std::uint64_t first, std::uint64_t threshold, T scale, T shift = 0, T dropped = 0) {
  const T* __restrict in = x;
  T* __restrict out = kInPlace ? nullptr : y;
  for (std::int64_t i = begin; i < end; ++i) {
    const bool kept = (counter_random::mix(seed, first + static_cast<std::uint64_t>(i)) >> 11) >= threshold;
    const T m = kept ? scale : T(0);
    mask[i] = m;
    const T xi = kInPlace ? y[i] : in[i];
    const T yi = kAlpha ? (kept ? scale * xi + shift : dropped) : xi * m;
    if constexpr (kInPlace) y[i] = yi;
    else out[i] = yi;
  }
}

template <typename T, bool kAlpha>
void dropout(const T* x, T* y, T* mask, std::int64_t n, std::uint64_t seed, std::uint64_t first, std::uint64_t threshold, T scale,
             T shift = 0, T dropped = 0) {
  parallel_chunks(n, [=](std::int64_t begin, std::int64_t end) {
    if (x == y) dropout_range<T, true, kAlpha>(x, y, mask, begin, end, seed, first, threshold, scale, shift, dropped);
    else dropout_range<T, false, kAlpha>(x, y, mask, begin, end, seed, first, threshold, scale, shift, dropped);
  });
}

// Images in channel blocks of 16: element (n, c, h, w) draws with counter first + its row-major index, as it would
// row-major, so that the mask does not depend on the layout: mask = mask_of(counter), y = output(x, mask). One slab
// (a sample's block of 16 channels, `base` the counter of its first channel's first pixel) in one flat loop (pixel
// at / 16, channel at % 16), in a function of its own with restrict-qualified pointers, so that it vectorises.
// With kRounded, y's values are rounded to bfloat16 into `rounded` as well (its buffer's copy, cpu_buffer.hpp).
template <typename T, bool kRounded, typename Mask, typename Output>
void dropout_slab(const T* __restrict x, T* __restrict y, T* __restrict mask, std::uint16_t* __restrict rounded, std::int64_t plane,
                  std::uint64_t base, Mask mask_of, Output output) {
  for (std::int64_t at = 0; at < plane * kChannelBlock; ++at) {
    const T m = mask_of(base + static_cast<std::uint64_t>(at % kChannelBlock * plane + at / kChannelBlock));
    mask[at] = m;
    const T v = output(x[at], m);
    y[at] = v;
    if constexpr (kRounded) rounded[at] = backends::to_bfloat16(static_cast<float>(v));
  }
}

template <typename T, typename Mask, typename Output>
void dropout_in_blocks(const op::Dropout& o, std::uint16_t* rounded, Mask mask_of, Output output) {
  const Shape& s = o.x.shape();
  const std::int64_t plane = s[2] * s[3], blocks = s[1] / kChannelBlock;
  const T* x = o.x.data<T>();
  T* y = o.y.data<T>();
  T* mask = o.mask.data<T>();
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
  for (std::int64_t slab = 0; slab < s[0] * blocks; ++slab) {
    const std::int64_t n = slab / blocks, c0 = slab % blocks * kChannelBlock, first_at = slab * plane * kChannelBlock;
    const std::uint64_t base = o.first + static_cast<std::uint64_t>((n * s[1] + c0) * plane);
    if (rounded) dropout_slab<T, true>(x + first_at, y + first_at, mask + first_at, rounded + first_at, plane, base, mask_of, output);
    else dropout_slab<T, false>(x + first_at, y + first_at, mask + first_at, nullptr, plane, base, mask_of, output);
  }
}

}  // namespace

void run_kernel(const op::Dropout& o, std::uint16_t* rounded_y) {
  kChecks.dropout(o);
  const auto c = backends::DropoutConstants::for_rate(o.rate);
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    T* mask = o.mask.data<T>();
    const std::uint64_t seed = o.seed, first = o.first;
    // uniform(seed, i) >= p, compared as integers: uniform is (mix >> 11) 2^-53, and p 2^53 is exact in double, so
    // the comparison with its ceiling keeps the same elements, in a loop that vectorises.
    const auto threshold = static_cast<std::uint64_t>(std::ceil(c.p * 0x1.0p53));
    if (!o.x.row_major()) {
      const auto kept = [=](std::uint64_t i) { return (counter_random::mix(seed, i) >> 11) >= threshold; };
      // The values of the row-major loops below, to the bit.
      const T inverted = static_cast<T>(1.0 / c.keep), a = static_cast<T>(c.a), b = static_cast<T>(c.b),
              dropped = static_cast<T>(c.a * c.alpha_prime + c.b);
      const double gauss_std = c.gauss_std;
      if (o.kind == DropoutKind::Inverted)
        dropout_in_blocks<T>(o, rounded_y, [=](std::uint64_t i) { return kept(i) ? inverted : T(0); }, [](T v, T m) { return v * m; });
      else if (o.kind == DropoutKind::Alpha)  // kept: mask a > 0
        dropout_in_blocks<T>(o, rounded_y, [=](std::uint64_t i) { return kept(i) ? a : T(0); }, [=](T v, T m) { return m != T(0) ? a * v + b : dropped; });
      else
        dropout_in_blocks<T>(o, rounded_y, [=](std::uint64_t i) { return static_cast<T>(1.0 + gauss_std * counter_random::normal(seed, i)); },
                             [](T v, T m) { return v * m; });
      return;
    }
    switch (o.kind) {
      case DropoutKind::Inverted:
        dropout<T, false>(x, y, mask, o.x.numel(), seed, first, threshold, static_cast<T>(1.0 / c.keep));
        return;
      case DropoutKind::Gaussian:
        parallel_chunks(o.x.numel(), [=](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) {
            mask[i] = static_cast<T>(1.0 + c.gauss_std * counter_random::normal(seed, first + static_cast<std::uint64_t>(i)));
            y[i] = x[i] * mask[i];
          }
        });
        return;
      case DropoutKind::Alpha:
        dropout<T, true>(x, y, mask, o.x.numel(), seed, first, threshold, static_cast<T>(c.a), static_cast<T>(c.b),
                         static_cast<T>(c.a * c.alpha_prime + c.b));
        return;
    }
  });
  // Row-major: y's copy rounded by a pass of its own (channel blocks round it as they write y).
  if (rounded_y && o.x.row_major()) round_to_bfloat16(o.y.data<float>(), rounded_y, o.y.numel());
}

}  // namespace nnplug::cpu
