// Batch normalisation over every axis but the channel (dim 1).
//
// Sums run at T's width along a row of one channel (a sample's H x W values), where they vectorise, and each row's
// sum is added in double: in float32 a sum then adds at most a row of values, so it keeps the precision of a double
// accumulation at twice its speed. The statistics are taken around a shift (the mean of the channel's first row),
// which makes the one-pass variance as exact as the two-pass one without a third pass over the data. A dense
// layer's values (N, C), whose rows hold one value per channel, are summed across the channels instead.
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "bfloat16.hpp"
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

// Whether the per-element passes below apply the forward op's epilogue f in their own vector loop.
constexpr bool applied_in_loop(Pointwise f) { return f == Pointwise::Identity || f == Pointwise::Relu || f == Pointwise::Relu6; }

// Calls body with the function of (value, x) a per-element pass applies in its vector loop: the forward epilogue's
// ReLU or ReLU6 (MobileNet's) on the value, or backward's ReLU before the layer (input_relu), which keeps the value
// where x > 0 and writes 0 elsewhere; else the identity.
template <typename T, typename Body>
void with_loop_function(Pointwise epilogue, bool input_relu, Body&& body) {
  if (epilogue == Pointwise::Relu) body([](T v, T) { return std::max(v, T(0)); });
  else if (epilogue == Pointwise::Relu6) body([](T v, T) { return std::min(std::max(v, T(0)), T(6)); });
  else if (input_relu) body([](T v, T xv) { return xv > T(0) ? v : T(0); });
  else body([](T v, T) { return v; });
}

// The per-element pass of either kernel, out = f(a in + b (x - mean) + c) with coefficients per channel: over
// channel ch of an (N, C, inner) tensor, or (inner == 1) over every row at once, across the channels. f runs in the
// same vector loop (with_loop_function); an epilogue it does not take is applied to each row after it, while the row
// is in cache (a call per row made a fused ReLU slower than a pass of its own).
template <typename T>
struct Affine {
  const T *in, *x;
  T* out;
  const ChannelLayout& l;
  Pointwise f = Pointwise::Identity;
  double f_alpha = kFunctionDefault;
  bool input_relu = false;

  void channel(std::int64_t ch, T a, T b, T mean, T c) const {
    with_loop_function<T>(f, input_relu, [&](auto fn) {
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
    with_loop_function<T>(f, input_relu, [&](auto fn) {
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
  void after_row(T* row, std::int64_t n) const {
    if (!applied_in_loop(f)) apply_pointwise(f, f_alpha, row, row, n);
  }
};

// Channel ch's batch statistics from its sums (training) or its running ones, saved as mean and invstd, the running
// ones updated in training; returns y = scale x + shift.
template <typename T>
std::pair<T, T> normalisation(const op::BatchNorm& o, std::int64_t ch, const ChannelSums& s, double count) {
  T* rmean = o.running_mean.data<T>();
  T* rvar = o.running_var.data<T>();
  double mean, invstd;
  if (o.training) {
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
  o.mean.data<T>()[ch] = static_cast<T>(mean);
  o.invstd.data<T>()[ch] = static_cast<T>(invstd);
  const double gamma = static_cast<double>(o.gamma.data<T>()[ch]), beta = static_cast<double>(o.beta.data<T>()[ch]);
  return {static_cast<T>(gamma * invstd), static_cast<T>(beta - gamma * mean * invstd)};
}

// Channel ch's dgamma and dbeta from sum dy and sum dy (x - mean), and the coefficients of dx = a dy + b (x - mean) + c.
// Training: dx = gamma invstd / m (m dy - sum dy - xhat sum(dy xhat)). Eval: dx = gamma invstd dy. The coefficients
// are taken in double and the per-element pass runs at T's width, so that it vectorises.
template <typename T>
std::array<T, 3> gradient_coefficients(const op::BatchNormGrad& o, std::int64_t ch, double sum_dy, double sum_dy_xc, double m) {
  const double invstd = static_cast<double>(o.invstd.data<T>()[ch]);
  const double gamma = static_cast<double>(o.gamma.data<T>()[ch]);
  const double sum_dy_xhat = sum_dy_xc * invstd;
  o.dgamma.data<T>()[ch] = static_cast<T>(sum_dy_xhat);
  o.dbeta.data<T>()[ch] = static_cast<T>(sum_dy);
  const double k = gamma * invstd / m;
  if (!o.training) return {static_cast<T>(gamma * invstd), T(0), T(0)};
  return {static_cast<T>(k * m), static_cast<T>(-k * invstd * sum_dy_xhat), static_cast<T>(-k * sum_dy)};
}

// Images in channel blocks of 16: the sums of a channel lie 16 apart, so the 16 channels of a block are summed side
// by side, a vector each, over every pixel of every sample. Samples are split between the threads, each adding up
// its own share (in T along a sample's plane, in double across planes); the element-wise pass then runs over
// (sample, block) slabs.
struct BlockedImage {
  std::int64_t samples, blocks, plane;
  explicit BlockedImage(const Tensor& x) : samples(x.dim(0)), blocks(x.dim(1) / kChannelBlock), plane(x.dim(2) * x.dim(3)) {}
  std::int64_t slab(std::int64_t n, std::int64_t b) const { return (n * blocks + b) * plane * kChannelBlock; }
};

// Two sums per channel over a blocked image: of x - shift and its square (forward), or of dy and dy (x - shift)
// (backward, shift the mean). Returns 2 C doubles: the first sums of every channel, then the second.
template <typename T, bool kBackward>
std::vector<double> blocked_channel_sums(const BlockedImage& im, const T* x, const T* dy, const T* shift) {
  const std::int64_t channels = im.blocks * kChannelBlock;
  std::vector<double> total(static_cast<std::size_t>(2 * channels), 0.0);
#pragma omp parallel if (im.samples * im.blocks * im.plane * kChannelBlock > kParallelThreshold)
  {
    std::vector<double> mine(total.size(), 0.0);
#pragma omp for schedule(static) nowait
    for (std::int64_t n = 0; n < im.samples; ++n)
      for (std::int64_t b = 0; b < im.blocks; ++b) {
        T first[kChannelBlock] = {}, second[kChannelBlock] = {}, centre[kChannelBlock];
        std::copy_n(shift + b * kChannelBlock, kChannelBlock, centre);
        const T* __restrict xs = x + im.slab(n, b);
        const T* __restrict dys = kBackward ? dy + im.slab(n, b) : nullptr;
        for (std::int64_t p = 0; p < im.plane; ++p)
#pragma omp simd
          for (std::int64_t l = 0; l < kChannelBlock; ++l) {
            const T d = xs[p * kChannelBlock + l] - centre[l];
            if constexpr (kBackward) {
              const T g = dys[p * kChannelBlock + l];
              first[l] += g;
              second[l] += g * d;
            } else {
              first[l] += d;
              second[l] += d * d;
            }
          }
        for (std::int64_t l = 0; l < kChannelBlock; ++l) {
          mine[static_cast<std::size_t>(b * kChannelBlock + l)] += static_cast<double>(first[l]);
          mine[static_cast<std::size_t>(channels + b * kChannelBlock + l)] += static_cast<double>(second[l]);
        }
      }
#pragma omp critical
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += mine[i];
  }
  return total;
}

// out = f(a in + b (x - mean) + c) per element, the coefficients per channel, over every slab; with kRounded, out's
// values rounded to bfloat16 into `rounded` as well (its buffer's copy, cpu_buffer.hpp), in out's element order.
template <typename T, bool kRounded, typename F>
void blocked_affine(const BlockedImage& im, const T* in, const T* x, T* out, std::uint16_t* rounded, const std::vector<T>& a,
                    const std::vector<T>& b, const T* mean, const std::vector<T>& c, F&& f) {
#pragma omp parallel for collapse(2) schedule(static) if (im.samples * im.blocks * im.plane * kChannelBlock > kParallelThreshold)
  for (std::int64_t n = 0; n < im.samples; ++n)
    for (std::int64_t blk = 0; blk < im.blocks; ++blk) {
      const std::int64_t slab = im.slab(n, blk), c0 = blk * kChannelBlock;
      T ka[kChannelBlock], kb[kChannelBlock], kc[kChannelBlock];  // c + b (x - mean) = b x + (c - b mean)
      for (std::int64_t l = 0; l < kChannelBlock; ++l) ka[l] = a[c0 + l], kb[l] = b[c0 + l], kc[l] = c[c0 + l] - b[c0 + l] * mean[c0 + l];
      const T* __restrict ins = in + slab;
      const T* __restrict xs = x + slab;
      T* __restrict outs = out + slab;
      std::uint16_t* __restrict rounds = kRounded ? rounded + slab : nullptr;
      for (std::int64_t p = 0; p < im.plane; ++p)
#pragma omp simd
        for (std::int64_t l = 0; l < kChannelBlock; ++l) {
          const std::int64_t at = p * kChannelBlock + l;
          const T v = f(ka[l] * ins[at] + kb[l] * xs[at] + kc[l], xs[at]);
          outs[at] = v;
          if constexpr (kRounded) rounds[at] = backends::to_bfloat16(static_cast<float>(v));
        }
    }
}

template <typename T, typename F>
void blocked_affine(const BlockedImage& im, const T* in, const T* x, T* out, std::uint16_t* rounded, const std::vector<T>& a,
                    const std::vector<T>& b, const T* mean, const std::vector<T>& c, F&& f) {
  if (rounded) blocked_affine<T, true>(im, in, x, out, rounded, a, b, mean, c, f);
  else blocked_affine<T, false>(im, in, x, out, rounded, a, b, mean, c, f);
}

template <typename T>
void batch_norm_in_blocks(const op::BatchNorm& o, std::uint16_t* rounded_y) {
  const BlockedImage im(o.x);
  const std::int64_t channels = o.x.dim(1);
  const T* x = o.x.data<T>();
  const double count = static_cast<double>(im.samples * im.plane);
  // The sums are taken around a shift, the channel's value at the first pixel of the first sample (see ChannelSums).
  std::vector<T> shift(static_cast<std::size_t>(channels)), scale(shift.size()), offset(shift.size()), zeros(shift.size(), T(0));
  for (std::int64_t ch = 0; ch < channels; ++ch) shift[static_cast<std::size_t>(ch)] = x[im.slab(0, ch / kChannelBlock) + ch % kChannelBlock];
  std::vector<double> sums;
  if (o.training) sums = blocked_channel_sums<T, false>(im, x, nullptr, shift.data());
  for (std::int64_t ch = 0; ch < channels; ++ch) {
    const auto c = static_cast<std::size_t>(ch);
    const ChannelSums s = o.training ? ChannelSums{static_cast<double>(shift[c]), sums[c], sums[c + channels]} : ChannelSums{};
    std::tie(scale[c], offset[c]) = normalisation<T>(o, ch, s, count);
  }
  T* y = o.y.data<T>();
  with_loop_function<T>(o.epilogue, false, [&](auto f) { blocked_affine(im, x, x, y, rounded_y, scale, zeros, o.mean.data<T>(), offset, f); });
  if (!applied_in_loop(o.epilogue)) run_kernel(op::Activation{o.y, o.y, o.epilogue, o.epilogue_alpha});
}

template <typename T>
void batch_norm_grad_in_blocks(const op::BatchNormGrad& o, std::uint16_t* rounded_dx) {
  const BlockedImage im(o.x);
  const std::int64_t channels = o.x.dim(1);
  const T* x = o.x.data<T>();
  const T* dy = o.dy.data<T>();
  const T* mean = o.mean.data<T>();
  const std::vector<double> sums = blocked_channel_sums<T, true>(im, x, dy, mean);
  std::vector<T> a(static_cast<std::size_t>(channels)), b(a.size()), c(a.size());
  for (std::int64_t ch = 0; ch < channels; ++ch) {
    const auto k = static_cast<std::size_t>(ch);
    const auto coefficients = gradient_coefficients<T>(o, ch, sums[k], sums[k + channels], static_cast<double>(im.samples * im.plane));
    a[k] = coefficients[0], b[k] = coefficients[1], c[k] = coefficients[2];
  }
  if (!o.dx.defined()) return;
  T* dx = o.dx.data<T>();
  with_loop_function<T>(Pointwise::Identity, o.input_activation == Pointwise::Relu,
                        [&](auto f) { blocked_affine(im, dy, x, dx, rounded_dx, a, b, mean, c, f); });
}

}  // namespace

// rounded_y, rounded_dx: the output rounded in the pass that writes it last (channel blocks, with no function after
// it), else by a pass of its own at the end.
void run_kernel(const op::BatchNorm& o, std::uint16_t* rounded_y) {
  std::uint16_t* in_pass = o.x.row_major() || !applied_in_loop(o.epilogue) ? nullptr : rounded_y;
  if (!o.x.row_major()) {
    kChecks.batch_norm(o);
    with_float_type(o.x, "batch_norm", [&](auto tag) { batch_norm_in_blocks<decltype(tag)>(o, in_pass); });
    if (rounded_y && !in_pass) round_to_bfloat16(o.y.data<float>(), rounded_y, o.y.numel());
    return;
  }
  const ChannelLayout l = kChecks.batch_norm(o);
  with_float_type(o.x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* x = o.x.data<T>();
    T* y = o.y.data<T>();
    const double count = static_cast<double>(l.per_channel());
    T* means = o.mean.data<T>();
    std::vector<ChannelSums> columns;
    if (o.training && l.inner == 1) columns = column_sums(x, l.outer, l.channels);
    const Affine<T> affine{x, x, y, l, o.epilogue, o.epilogue_alpha};
    std::vector<T> scales(l.inner == 1 ? static_cast<std::size_t>(l.channels) : 0), shifts(scales.size()), zeros(scales.size(), T(0));
#pragma omp parallel for schedule(static) if (o.x.numel() > kParallelThreshold)
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      ChannelSums sums;
      if (o.training) sums = l.inner == 1 ? columns[static_cast<std::size_t>(ch)] : channel_sums(x, l, ch);
      const auto [scale, shift] = normalisation<T>(o, ch, sums, count);
      if (l.inner > 1) affine.channel(ch, scale, T(0), means[ch], shift);
      else scales[static_cast<std::size_t>(ch)] = scale, shifts[static_cast<std::size_t>(ch)] = shift;
    }
    if (l.inner == 1) affine.columns(scales, zeros, means, shifts);
  });
  if (rounded_y) round_to_bfloat16(o.y.data<float>(), rounded_y, o.y.numel());
}

void run_kernel(const op::BatchNormGrad& o, std::uint16_t* rounded_dx) {
  const ChannelLayout l = kChecks.batch_norm(o.x, o.gamma, "batch_norm_grad");
  require_same_count(o.x, o.dy, "batch_norm_grad");
  const bool function_after = o.dx.defined() && o.input_activation != Pointwise::Identity && o.input_activation != Pointwise::Relu;
  std::uint16_t* in_pass = o.x.row_major() || function_after ? nullptr : rounded_dx;
  if (!o.x.row_major()) with_float_type(o.x, "batch_norm_grad", [&](auto tag) { batch_norm_grad_in_blocks<decltype(tag)>(o, in_pass); });
  else with_float_type(o.x, "batch_norm_grad", [&](auto tag) {
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
      const auto [ta, tb, tc] = gradient_coefficients<T>(o, ch, sum_dy[c], sum_dy_xc[c], m);
      if (!dx) continue;
      if (l.inner > 1) affine.channel(ch, ta, tb, tmean, tc);
      else as[c] = ta, bs[c] = tb, cs[c] = tc;
    }
    if (dx && l.inner == 1) affine.columns(as, bs, means, cs);
  });
  // Any other function before the layer: dx taken through it by a pass of its own.
  if (function_after) run_kernel(op::ActivationGrad{o.x, o.x, o.dx, o.dx, o.input_activation});
  if (rounded_dx && !in_pass) round_to_bfloat16(o.dx.data<float>(), rounded_dx, o.dx.numel());
}

}  // namespace nnplug::cpu
