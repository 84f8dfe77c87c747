// Ops that draw random numbers: the dropouts. Numbers come from counter_random, a function of (seed, index).
#include <cmath>

#include "kernels.hpp"
#include "op_constants.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cpu {

namespace {

// Inverted dropout over [begin, end): a function of its own, with restrict-qualified pointers (y may be x itself,
// in place), so that the loop vectorises, the hash included (AVX-512's 64-bit multiplies): X11's first dropout went
// from 1,532 to 80 us here (bench/x11_kernels_bench).
template <typename T, bool kInPlace>
void inverted_dropout_range(const T* x, T* y, T* __restrict mask, std::int64_t begin, std::int64_t end, std::uint64_t seed,
                            std::uint64_t first, std::uint64_t threshold, T scale) {
  const T* __restrict in = x;
  T* __restrict out = kInPlace ? nullptr : y;
  for (std::int64_t i = begin; i < end; ++i) {
    const bool kept = (counter_random::mix(seed, first + static_cast<std::uint64_t>(i)) >> 11) >= threshold;
    const T m = kept ? scale : T(0);
    mask[i] = m;
    if constexpr (kInPlace) y[i] *= m;
    else out[i] = in[i] * m;
  }
}

}  // namespace

void run_kernel(const op::Dropout& o) {
  kChecks.dropout(o);
  const auto c = backends::DropoutConstants::for_rate(o.rate);
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    T* mask = o.mask.data<T>();
    const std::uint64_t seed = o.seed, first = o.first;
    switch (o.kind) {
      case DropoutKind::Inverted: {
        // uniform(seed, i) >= p, compared as integers: uniform is (mix >> 11) 2^-53, and p 2^53 is exact in double,
        // so the comparison with its ceiling keeps the same elements, in a loop that vectorises.
        const auto threshold = static_cast<std::uint64_t>(std::ceil(c.p * 0x1.0p53));
        const T scale = static_cast<T>(1.0 / c.keep);
        parallel_chunks(o.x.numel(), [=](std::int64_t begin, std::int64_t end) {
          if (x == y) inverted_dropout_range<T, true>(x, y, mask, begin, end, seed, first, threshold, scale);
          else inverted_dropout_range<T, false>(x, y, mask, begin, end, seed, first, threshold, scale);
        });
        return;
      }
      case DropoutKind::Gaussian:
        parallel_chunks(o.x.numel(), [=](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) {
            mask[i] = static_cast<T>(1.0 + c.gauss_std * counter_random::normal(seed, first + static_cast<std::uint64_t>(i)));
            y[i] = x[i] * mask[i];
          }
        });
        return;
      case DropoutKind::Alpha:
        parallel_chunks(o.x.numel(), [=](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) {
            const bool kept = counter_random::uniform(seed, first + static_cast<std::uint64_t>(i)) >= c.p;
            mask[i] = kept ? static_cast<T>(c.a) : T(0);
            y[i] = kept ? static_cast<T>(c.a * static_cast<double>(x[i]) + c.b) : static_cast<T>(c.a * c.alpha_prime + c.b);
          }
        });
        return;
    }
  });
}

}  // namespace nnplug::cpu
