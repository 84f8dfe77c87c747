// Ops of layers with their own parameters or routing: prelu (learnable slope), maxout groups.
#include <algorithm>

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

}  // namespace nnplug::cpu
