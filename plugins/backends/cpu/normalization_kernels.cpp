// Batch normalisation over every axis but the channel (dim 1).
//
// Sums run at T's width along a row of one channel (a sample's H x W values), where they vectorise, and each row's
// sum is added in double: in float32 a sum then adds at most a row of values, so it keeps the precision of a double
// accumulation at twice its speed. The statistics are taken around a shift (the mean of the channel's first row),
// which makes the one-pass variance as exact as the two-pass one without a third pass over the data. A dense
// layer's values (N, C), whose rows hold one value per channel, are summed across the channels instead.
#include <cmath>
#include <vector>

#include "kernels.hpp"

namespace nnplug::cpu {

namespace {

struct ChannelSums {
  double shift = 0, sum = 0, squares = 0;  // of x - shift
  double mean(double count) const { return shift + sum / count; }
  double variance(double count) const {  // biased
    const double d = sum / count;
    return std::max(0.0, squares / count - d * d);
  }
};

// The shifted sums of one channel of an (N, C, inner) tensor, inner > 1.
template <typename T>
ChannelSums channel_sums(const T* x, const ChannelLayout& l, std::int64_t ch) {
  ChannelSums s;
  const T* first = x + l.at(0, ch);
  for (std::int64_t i = 0; i < l.inner; ++i) s.shift += static_cast<double>(first[i]);
  s.shift /= static_cast<double>(l.inner);
  const T shift = static_cast<T>(s.shift);
  for (std::int64_t b = 0; b < l.outer; ++b) {
    const T* __restrict xr = x + l.at(b, ch);
    T sum = 0, squares = 0;
#pragma omp simd reduction(+ : sum, squares)
    for (std::int64_t i = 0; i < l.inner; ++i) {
      const T d = xr[i] - shift;
      sum += d;
      squares += d * d;
    }
    s.sum += static_cast<double>(sum);
    s.squares += static_cast<double>(squares);
  }
  return s;
}

// The same for every channel of an (N, C) tensor at once, shifted by the first row.
template <typename T>
std::vector<ChannelSums> column_sums(const T* x, std::int64_t rows, std::int64_t channels) {
  std::vector<ChannelSums> s(static_cast<std::size_t>(channels));
  std::vector<double> sum(s.size(), 0.0), squares(s.size(), 0.0), shift(x, x + channels);
  for (std::int64_t b = 0; b < rows; ++b) {
    const T* __restrict xr = x + b * channels;
#pragma omp simd
    for (std::int64_t c = 0; c < channels; ++c) {
      const double d = static_cast<double>(xr[c]) - shift[c];
      sum[c] += d;
      squares[c] += d * d;
    }
  }
  for (std::size_t c = 0; c < s.size(); ++c) s[c] = {shift[c], sum[c], squares[c]};
  return s;
}

// The per-element pass of either kernel, out = f(a in + b (x - mean) + c) with coefficients per channel: over
// channel ch of an (N, C, inner) tensor, or (inner == 1) over every row at once, across the channels. f is the
// forward op's epilogue: ReLU runs in the same vector loop; any other function is applied to each row after it,
// while the row is in cache (a call per row made a fused ReLU slower than a pass of its own). Backward's ReLU
// before the layer (input_relu) keeps out where x > 0 and writes 0 elsewhere, in the same loop.
template <typename T>
struct Affine {
  const T *in, *x;
  T* out;
  const ChannelLayout& l;
  Pointwise f = Pointwise::Identity;
  double f_alpha = kFunctionDefault;
  bool input_relu = false;

  void channel(std::int64_t ch, T a, T b, T mean, T c) const {
    with_inline_function([&](auto fn) {
      for (std::int64_t n = 0; n < l.outer; ++n) {
        const T* __restrict inr = in + l.at(n, ch);
        const T* __restrict xr = x + l.at(n, ch);
        T* __restrict outr = out + l.at(n, ch);
#pragma omp simd
        for (std::int64_t i = 0; i < l.inner; ++i) outr[i] = fn(a * inr[i] + b * (xr[i] - mean) + c, xr[i]);
        after_row(outr, l.inner);
      }
    });
  }
  void columns(const std::vector<T>& a, const std::vector<T>& b, const T* mean, const std::vector<T>& c) const {
    with_inline_function([&](auto fn) {
#pragma omp parallel for schedule(static) if (l.outer * l.channels > kParallelThreshold)
      for (std::int64_t n = 0; n < l.outer; ++n) {
        const T* __restrict inr = in + n * l.channels;
        const T* __restrict xr = x + n * l.channels;
        T* __restrict outr = out + n * l.channels;
#pragma omp simd
        for (std::int64_t k = 0; k < l.channels; ++k) outr[k] = fn(a[k] * inr[k] + b[k] * (xr[k] - mean[k]) + c[k], xr[k]);
        after_row(outr, l.channels);
      }
    });
  }

 private:
  // Calls body with the function of (value, x) the vector loop applies: ReLU, the mask of input_relu, or the identity.
  template <typename Body>
  void with_inline_function(Body&& body) const {
    if (f == Pointwise::Relu) body([](T v, T) { return std::max(v, T(0)); });
    else if (input_relu) body([](T v, T xv) { return xv > T(0) ? v : T(0); });
    else body([](T v, T) { return v; });
  }
  void after_row(T* row, std::int64_t n) const {
    if (f != Pointwise::Identity && f != Pointwise::Relu) apply_pointwise(f, f_alpha, row, row, n);
  }
};

}  // namespace

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
    const double count = static_cast<double>(l.per_channel());
    T* means = o.mean.data<T>();
    std::vector<ChannelSums> columns;
    if (o.training && l.inner == 1) columns = column_sums(x, l.outer, l.channels);
    const Affine<T> affine{x, x, y, l, o.epilogue, o.epilogue_alpha};
    std::vector<T> scales(l.inner == 1 ? static_cast<std::size_t>(l.channels) : 0), shifts(scales.size()), zeros(scales.size(), T(0));
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      double mean, invstd;
      if (o.training) {
        const ChannelSums s = l.inner == 1 ? columns[static_cast<std::size_t>(ch)] : channel_sums(x, l, ch);
        mean = s.mean(count);
        const double var = s.variance(count);
        invstd = 1.0 / std::sqrt(var + o.eps);
        const double unbiased = var * count / (count - 1.0);
        rmean[ch] = static_cast<T>((1.0 - o.momentum) * rmean[ch] + o.momentum * mean);
        rvar[ch] = static_cast<T>((1.0 - o.momentum) * rvar[ch] + o.momentum * unbiased);
      } else {
        mean = static_cast<double>(rmean[ch]);
        invstd = 1.0 / std::sqrt(static_cast<double>(rvar[ch]) + o.eps);
      }
      means[ch] = static_cast<T>(mean);
      o.invstd.data<T>()[ch] = static_cast<T>(invstd);
      // y = scale x + shift, written as scale x + 0 (x - mean) + shift.
      const T scale = static_cast<T>(gamma[ch] * invstd), shift = static_cast<T>(beta[ch] - gamma[ch] * mean * invstd);
      if (l.inner > 1) affine.channel(ch, scale, T(0), means[ch], shift);
      else scales[static_cast<std::size_t>(ch)] = scale, shifts[static_cast<std::size_t>(ch)] = shift;
    }
    if (l.inner == 1) affine.columns(scales, zeros, means, shifts);
  });
}

void run_kernel(const op::BatchNormGrad& o) {
  const ChannelLayout l = kChecks.batch_norm(o.x, o.gamma, "batch_norm_grad");
  require_same_count(o.x, o.dy, "batch_norm_grad");
  with_float_type(o.x, "batch_norm_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    const T* dy = o.dy.data<T>();
    const T* means = o.mean.data<T>();
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
    const double m = static_cast<double>(l.per_channel());
    const Affine<T> affine{.in = dy, .x = x, .out = dx, .l = l, .input_relu = o.input_activation == Pointwise::Relu};
    std::vector<T> as(l.inner == 1 ? static_cast<std::size_t>(l.channels) : 0), bs(as.size()), cs(as.size());
    // sum dy and sum dy (x - mean) per channel.
    std::vector<double> sum_dy(static_cast<std::size_t>(l.channels), 0.0), sum_dy_xc(sum_dy.size(), 0.0);
    if (l.inner == 1) {
      for (std::int64_t b = 0; b < l.outer; ++b) {
        const T* __restrict xr = x + b * l.channels;
        const T* __restrict dyr = dy + b * l.channels;
#pragma omp simd
        for (std::int64_t c = 0; c < l.channels; ++c) {
          sum_dy[c] += static_cast<double>(dyr[c]);
          sum_dy_xc[c] += static_cast<double>(dyr[c]) * static_cast<double>(xr[c] - means[c]);
        }
      }
    }
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      const auto c = static_cast<std::size_t>(ch);
      const T tmean = means[ch];
      if (l.inner > 1) {
        for (std::int64_t b = 0; b < l.outer; ++b) {
          const T* __restrict xr = x + l.at(b, ch);
          const T* __restrict dyr = dy + l.at(b, ch);
          T row_dy = 0, row_dy_xc = 0;
#pragma omp simd reduction(+ : row_dy, row_dy_xc)
          for (std::int64_t i = 0; i < l.inner; ++i) {
            row_dy += dyr[i];
            row_dy_xc += dyr[i] * (xr[i] - tmean);
          }
          sum_dy[c] += static_cast<double>(row_dy);
          sum_dy_xc[c] += static_cast<double>(row_dy_xc);
        }
      }
      const double invstd = static_cast<double>(o.invstd.data<T>()[ch]);
      const double gamma = static_cast<double>(o.gamma.data<T>()[ch]);
      const double sum_dy_xhat = sum_dy_xc[c] * invstd;
      o.dgamma.data<T>()[ch] = static_cast<T>(sum_dy_xhat);
      o.dbeta.data<T>()[ch] = static_cast<T>(sum_dy[c]);
      if (!dx) continue;
      // Training: dx = gamma invstd / m (m dy - sum dy - xhat sum(dy xhat)). Eval: dx = gamma invstd dy.
      // As dx = a dy + b (x - mean) + c, with the coefficients per channel in double and the per-element pass at T's
      // width, so that it vectorises.
      const double k = gamma * invstd / m;
      const T ta = static_cast<T>(o.training ? k * m : gamma * invstd);
      const T tb = static_cast<T>(o.training ? -k * invstd * sum_dy_xhat : 0.0);
      const T tc = static_cast<T>(o.training ? -k * sum_dy[c] : 0.0);
      if (l.inner > 1) affine.channel(ch, ta, tb, tmean, tc);
      else as[c] = ta, bs[c] = tb, cs[c] = tc;
    }
    if (dx && l.inner == 1) affine.columns(as, bs, means, cs);
  });
  // Any other function before the layer: dx taken through it by a pass of its own.
  if (o.dx.defined() && o.input_activation != Pointwise::Identity && o.input_activation != Pointwise::Relu)
    run_kernel(op::ActivationGrad{o.x, o.x, o.dx, o.dx, o.input_activation});
}

}  // namespace nnplug::cpu
