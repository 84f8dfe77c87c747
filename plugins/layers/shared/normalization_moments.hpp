#pragma once
// What the normalisations without batch statistics (layer norm, group norm) compute of each block of values they
// normalise.
#include <cmath>
#include <cstdint>
#include <utility>

namespace nnplug {

// The mean of count values and 1 / sqrt(var + eps), with the biased variance as PyTorch, summed in double.
template <typename T>
std::pair<double, double> mean_and_rstd(const T* x, std::int64_t count, double eps) {
  double sum = 0.0, squares = 0.0;
  for (std::int64_t i = 0; i < count; ++i) sum += static_cast<double>(x[i]);
  const double mean = sum / static_cast<double>(count);
  for (std::int64_t i = 0; i < count; ++i) squares += (static_cast<double>(x[i]) - mean) * (static_cast<double>(x[i]) - mean);
  return {mean, 1.0 / std::sqrt(squares / static_cast<double>(count) + eps)};
}

}  // namespace nnplug
