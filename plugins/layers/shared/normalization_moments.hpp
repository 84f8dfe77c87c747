#pragma once
// What the normalisations without batch statistics (layer norm, group norm) compute of each block of values they
// normalise.
#include <cmath>
#include <cstdint>
#include <utility>

namespace nnplug {

// The sum of f(i) over i in [0, count), in double, as eight interleaved partial sums: one running sum is a chain of
// dependent additions that the CPU runs one at a time (a transformer's layer norm spent most of its time there),
// eight independent ones vectorise. The order of the additions depends on count alone.
// Always inlined: a kernel compiled for the CPU's vector width (vector_clones.hpp) takes it in at that width, where a
// call would run the baseline x86-64's copy.
template <typename F>
[[gnu::always_inline]] inline double interleaved_sum(std::int64_t count, F&& f) {
  double partial[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int k = 0; k < 8; ++k) partial[k] += f(i + k);
  for (int k = 0; i < count; ++i, ++k) partial[k] += f(i);
  return ((partial[0] + partial[4]) + (partial[1] + partial[5])) + ((partial[2] + partial[6]) + (partial[3] + partial[7]));
}

// The mean of count values and 1 / sqrt(var + eps), with the biased variance as PyTorch, summed in double.
template <typename T>
[[gnu::always_inline]] inline std::pair<double, double> mean_and_rstd(const T* x, std::int64_t count, double eps) {
  const double mean = interleaved_sum(count, [x](std::int64_t i) { return static_cast<double>(x[i]); }) / static_cast<double>(count);
  const double squares = interleaved_sum(count, [x, mean](std::int64_t i) {
    const double centred = static_cast<double>(x[i]) - mean;
    return centred * centred;
  });
  return {mean, 1.0 / std::sqrt(squares / static_cast<double>(count) + eps)};
}

}  // namespace nnplug
