// Ops that draw random numbers: the dropouts. Numbers come from counter_random, a function of (seed, index).
#include <cmath>

#include "kernels.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cpu {

void run_kernel(const op::Dropout& o) {
  require(o.rate >= 0.0 && o.rate < 1.0, "dropout", "rate must be in [0, 1), got " + std::to_string(o.rate));
  require_same_count(o.x, o.y, "dropout");
  require_same_count(o.x, o.mask, "dropout");
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    T* mask = o.mask.data<T>();
    const double p = o.rate, keep = 1.0 - p;
    // Alpha dropout (Klambauer et al. 2017): dropped units take alpha' = -scale * alpha of SELU, and
    // y = a (x * kept + alpha' (1 - kept)) + b keeps zero mean and unit variance.
    const double alpha_prime = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;
    const double a = 1.0 / std::sqrt(keep * (1.0 + p * alpha_prime * alpha_prime));
    const double b = -a * alpha_prime * p;
    const double gauss_std = std::sqrt(p / keep);
    parallel_chunks(o.x.numel(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const auto index = static_cast<std::uint64_t>(i);
        switch (o.kind) {
          case DropoutKind::Inverted: {
            const bool kept = counter_random::uniform(o.seed, index) >= p;
            mask[i] = kept ? static_cast<T>(1.0 / keep) : T(0);
            y[i] = x[i] * mask[i];
            break;
          }
          case DropoutKind::Gaussian:
            mask[i] = static_cast<T>(1.0 + gauss_std * counter_random::normal(o.seed, index));
            y[i] = x[i] * mask[i];
            break;
          case DropoutKind::Alpha: {
            const bool kept = counter_random::uniform(o.seed, index) >= p;
            mask[i] = kept ? static_cast<T>(a) : T(0);
            y[i] = kept ? static_cast<T>(a * static_cast<double>(x[i]) + b) : static_cast<T>(a * alpha_prime + b);
            break;
          }
        }
      }
    });
  });
}

}  // namespace nnplug::cpu
