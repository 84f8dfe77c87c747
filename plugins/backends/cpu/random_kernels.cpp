// Ops that draw random numbers: the dropouts. Numbers come from counter_random, a function of (seed, index).
#include <cmath>

#include "kernels.hpp"
#include "op_constants.hpp"
#include "nnplug/counter_random.hpp"

namespace nnplug::cpu {

void run_kernel(const op::Dropout& o) {
  kChecks.dropout(o);
  const auto c = backends::DropoutConstants::for_rate(o.rate);
  with_float_type(o.x, "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    T* mask = o.mask.data<T>();
    parallel_chunks(o.x.numel(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const auto index = o.first + static_cast<std::uint64_t>(i);
        switch (o.kind) {
          case DropoutKind::Inverted: {
            const bool kept = counter_random::uniform(o.seed, index) >= c.p;
            mask[i] = kept ? static_cast<T>(1.0 / c.keep) : T(0);
            y[i] = x[i] * mask[i];
            break;
          }
          case DropoutKind::Gaussian:
            mask[i] = static_cast<T>(1.0 + c.gauss_std * counter_random::normal(o.seed, index));
            y[i] = x[i] * mask[i];
            break;
          case DropoutKind::Alpha: {
            const bool kept = counter_random::uniform(o.seed, index) >= c.p;
            mask[i] = kept ? static_cast<T>(c.a) : T(0);
            y[i] = kept ? static_cast<T>(c.a * static_cast<double>(x[i]) + c.b) : static_cast<T>(c.a * c.alpha_prime + c.b);
            break;
          }
        }
      }
    });
  });
}

}  // namespace nnplug::cpu
