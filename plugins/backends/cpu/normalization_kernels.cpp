// Batch normalisation over every axis but the channel (dim 1). Statistics are accumulated in double.
#include <cmath>
#include <vector>

#include "kernels.hpp"

namespace nnplug::cpu {

void run_kernel(const op::BatchNorm& o) {
  const ChannelLayout l = kChecks.batch_norm(o);
  with_float_type(o.x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const T* gamma = o.gamma.data<T>();
    const T* beta = o.beta.data<T>();
    T* y = o.y.data<T>();
    T* rmean = o.running_mean.data<T>();
    T* rvar = o.running_var.data<T>();
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      double mean, invstd;
      if (o.training) {
        double sum = 0, sq = 0;
        for (std::int64_t b = 0; b < l.outer; ++b) {
          const T* xr = x + l.at(b, ch);
#pragma omp simd reduction(+ : sum)
          for (std::int64_t i = 0; i < l.inner; ++i) sum += static_cast<double>(xr[i]);
        }
        mean = sum / static_cast<double>(l.per_channel());
        for (std::int64_t b = 0; b < l.outer; ++b) {
          const T* xr = x + l.at(b, ch);
#pragma omp simd reduction(+ : sq)
          for (std::int64_t i = 0; i < l.inner; ++i) {
            const double d = static_cast<double>(xr[i]) - mean;
            sq += d * d;
          }
        }
        const double var = sq / static_cast<double>(l.per_channel());  // biased, for normalising
        invstd = 1.0 / std::sqrt(var + o.eps);
        o.mean.data<T>()[ch] = static_cast<T>(mean);
        o.invstd.data<T>()[ch] = static_cast<T>(invstd);
        const double unbiased = sq / static_cast<double>(l.per_channel() - 1);
        rmean[ch] = static_cast<T>((1.0 - o.momentum) * rmean[ch] + o.momentum * mean);
        rvar[ch] = static_cast<T>((1.0 - o.momentum) * rvar[ch] + o.momentum * unbiased);
      } else {
        mean = static_cast<double>(rmean[ch]);
        invstd = 1.0 / std::sqrt(static_cast<double>(rvar[ch]) + o.eps);
        o.mean.data<T>()[ch] = static_cast<T>(mean);
        o.invstd.data<T>()[ch] = static_cast<T>(invstd);
      }
      const T scale = static_cast<T>(gamma[ch] * invstd), shift = static_cast<T>(beta[ch] - gamma[ch] * mean * invstd);
      for (std::int64_t b = 0; b < l.outer; ++b) {
        const T* __restrict xr = x + l.at(b, ch);
        T* __restrict yr = y + l.at(b, ch);
#pragma omp simd
        for (std::int64_t i = 0; i < l.inner; ++i) yr[i] = xr[i] * scale + shift;
      }
    }
  });
}

void run_kernel(const op::BatchNormGrad& o) {
  const ChannelLayout l = kChecks.batch_norm(o.x, o.gamma, "batch_norm_grad");
  require_same_count(o.x, o.dy, "batch_norm_grad");
  with_float_type(o.x, "batch_norm_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const T* dy = o.dy.data<T>();
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
    const double m = static_cast<double>(l.per_channel());
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      const double mean = static_cast<double>(o.mean.data<T>()[ch]);
      const double invstd = static_cast<double>(o.invstd.data<T>()[ch]);
      const double gamma = static_cast<double>(o.gamma.data<T>()[ch]);
      double sum_dy = 0, sum_dy_xhat = 0;
      for (std::int64_t b = 0; b < l.outer; ++b) {
        const T* xr = x + l.at(b, ch);
        const T* dyr = dy + l.at(b, ch);
#pragma omp simd reduction(+ : sum_dy, sum_dy_xhat)
        for (std::int64_t i = 0; i < l.inner; ++i) {
          sum_dy += static_cast<double>(dyr[i]);
          sum_dy_xhat += static_cast<double>(dyr[i]) * (static_cast<double>(xr[i]) - mean) * invstd;
        }
      }
      o.dgamma.data<T>()[ch] = static_cast<T>(sum_dy_xhat);
      o.dbeta.data<T>()[ch] = static_cast<T>(sum_dy);
      if (!dx) continue;
      // Training: dx = gamma invstd / m (m dy - sum dy - xhat sum(dy xhat)). Eval: dx = gamma invstd dy.
      const double k = gamma * invstd / m;
      // As dx = a dy + b (x - mean) + c, with the coefficients per channel in double and the per-element pass at T's
      // width, so that it vectorises.
      const T ta = static_cast<T>(o.training ? k * m : gamma * invstd);
      const T tb = static_cast<T>(o.training ? -k * invstd * sum_dy_xhat : 0.0);
      const T tc = static_cast<T>(o.training ? -k * sum_dy : 0.0);
      const T tmean = static_cast<T>(mean);
      for (std::int64_t b = 0; b < l.outer; ++b) {
        const T* __restrict xr = x + l.at(b, ch);
        const T* __restrict dyr = dy + l.at(b, ch);
        T* __restrict dxr = dx + l.at(b, ch);
#pragma omp simd
        for (std::int64_t i = 0; i < l.inner; ++i) dxr[i] = ta * dyr[i] + tb * (xr[i] - tmean) + tc;
      }
    }
  });
}

}  // namespace nnplug::cpu
