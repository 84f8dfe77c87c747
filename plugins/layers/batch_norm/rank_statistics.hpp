#pragma once
// What synchronised batch norm combines across the ranks of data-parallel training, on the host: per channel, every
// rank's sample count, mean and (biased) variance, merged as Chan, Golub and LeVeque's parallel algorithm does
// (no sum of squares that cancels), and sums of gradient terms.
#include <cstring>
#include <vector>

#include "nnplug/communicator.hpp"

namespace nnplug::batch_norm {

struct Moments {
  double count = 0;
  std::vector<double> mean, var;
};

// Every rank's `values` (the same count on each), rank by rank.
inline std::vector<std::vector<double>> gather(Communicator& communicator, const std::vector<double>& values) {
  const auto bytes = communicator.all_gather(values.data(), values.size() * sizeof(double));
  std::vector<std::vector<double>> out(static_cast<std::size_t>(communicator.size()), std::vector<double>(values.size()));
  for (std::size_t r = 0; r < out.size(); ++r) std::memcpy(out[r].data(), bytes.data() + r * values.size() * sizeof(double), values.size() * sizeof(double));
  return out;
}

inline Moments combine(Communicator& communicator, const Moments& mine) {
  const std::size_t channels = mine.mean.size();
  std::vector<double> packed{mine.count};
  packed.insert(packed.end(), mine.mean.begin(), mine.mean.end());
  packed.insert(packed.end(), mine.var.begin(), mine.var.end());
  Moments all{0, std::vector<double>(channels, 0.0), std::vector<double>(channels, 0.0)};
  std::vector<double> m2(channels, 0.0);  // sums of squared deviations
  for (const auto& rank : gather(communicator, packed)) {
    const double n = rank[0];
    if (n == 0) continue;
    const double total = all.count + n;
    for (std::size_t c = 0; c < channels; ++c) {
      const double mean = rank[1 + c], var = rank[1 + channels + c];
      const double delta = mean - all.mean[c];
      all.mean[c] += delta * n / total;
      m2[c] += var * n + delta * delta * all.count * n / total;
    }
    all.count = total;
  }
  for (std::size_t c = 0; c < channels; ++c) all.var[c] = m2[c] / all.count;
  return all;
}

inline std::vector<double> sum(Communicator& communicator, const std::vector<double>& values) {
  std::vector<double> total(values.size(), 0.0);
  for (const auto& rank : gather(communicator, values))
    for (std::size_t i = 0; i < values.size(); ++i) total[i] += rank[i];
  return total;
}

}  // namespace nnplug::batch_norm
