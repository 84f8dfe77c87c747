#pragma once
// The CPU arithmetic of the normalisations that need no batch statistics: group norm over (N, C, S) in G groups of
// consecutive channels, with a weight and bias per channel. Layer norm is the case of one group of D channels of one
// position each (a weight per value normalised), instance norm that of one channel per group.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace nnplug {

// The sizes of an (N, C, S) call in groups of channels: K = C / G channels of S positions each.
struct Groups {
  std::int64_t n, c, s, g;
  std::int64_t channels() const { return c / g; }
  std::int64_t values() const { return channels() * s; }  // one group's values, contiguous
};

// A group's mean and 1 / sqrt(var + eps) (the biased variance, as PyTorch), summed in double.
template <typename T>
std::pair<double, double> group_moments(const T* x, std::int64_t count, double eps) {
  double sum = 0.0, squares = 0.0;
  for (std::int64_t i = 0; i < count; ++i) sum += static_cast<double>(x[i]);
  const double mean = sum / static_cast<double>(count);
  for (std::int64_t i = 0; i < count; ++i) squares += (static_cast<double>(x[i]) - mean) * (static_cast<double>(x[i]) - mean);
  return {mean, 1.0 / std::sqrt(squares / static_cast<double>(count) + eps)};
}

template <typename T>
void group_norm(const T* x, const T* weight, const T* bias, T* y, const Groups& d, double eps) {
  for (std::int64_t block = 0; block < d.n * d.g; ++block) {
    const std::int64_t first = block * d.values();
    const auto [mean, rstd] = group_moments(x + first, d.values(), eps);
    for (std::int64_t k = 0; k < d.channels(); ++k) {
      const std::int64_t c = block % d.g * d.channels() + k;
      const double w = static_cast<double>(weight[c]), b = static_cast<double>(bias[c]);
      for (std::int64_t i = first + k * d.s; i < first + (k + 1) * d.s; ++i) y[i] = static_cast<T>((static_cast<double>(x[i]) - mean) * rstd * w + b);
    }
  }
}

// With x̂ = (x - mean) rstd and g = dy * weight[c], over each group: dx = rstd (g - mean(g) - x̂ mean(g x̂));
// dweight[c] = sum of dy x̂ over the samples and the channel's positions; dbias[c] = sum of dy.
template <typename T>
void group_norm_grad(const T* x, const T* weight, const T* dy, T* dx, T* dweight, T* dbias, const Groups& d, double eps) {
  std::vector<double> dw(static_cast<std::size_t>(d.c), 0.0), db(static_cast<std::size_t>(d.c), 0.0);
  for (std::int64_t block = 0; block < d.n * d.g; ++block) {
    const std::int64_t first = block * d.values();
    const auto [mean, rstd] = group_moments(x + first, d.values(), eps);
    const auto channel = [&](std::int64_t i) { return block % d.g * d.channels() + (i - first) / d.s; };
    double g_mean = 0.0, gx_mean = 0.0;
    for (std::int64_t i = first; i < first + d.values(); ++i) {
      const auto c = static_cast<std::size_t>(channel(i));
      const double xhat = (static_cast<double>(x[i]) - mean) * rstd, g = static_cast<double>(dy[i]) * static_cast<double>(weight[c]);
      g_mean += g, gx_mean += g * xhat;
      dw[c] += static_cast<double>(dy[i]) * xhat;
      db[c] += static_cast<double>(dy[i]);
    }
    g_mean /= static_cast<double>(d.values()), gx_mean /= static_cast<double>(d.values());
    for (std::int64_t i = first; i < first + d.values(); ++i) {
      const double xhat = (static_cast<double>(x[i]) - mean) * rstd, g = static_cast<double>(dy[i]) * static_cast<double>(weight[channel(i)]);
      dx[i] = static_cast<T>(rstd * (g - g_mean - xhat * gx_mean));
    }
  }
  for (std::int64_t c = 0; c < d.c; ++c) dweight[c] = static_cast<T>(dw[static_cast<std::size_t>(c)]), dbias[c] = static_cast<T>(db[static_cast<std::size_t>(c)]);
}

}  // namespace nnplug
