#pragma once
// How layer_norm's and rms_norm's cpu kernels split a batch of rows (N, D) between OpenMP's threads (the backend's
// count; link OpenMP::OpenMP_CXX): each row's values by rows, and their parameters' gradients, sums over the rows, by
// columns. Either way every value is computed as on one thread, so any thread count gives the same values.
#include <algorithm>
#include <cstdint>

#include "../../shared/parallel_chunks.hpp"

namespace nnplug {

// For each column j, sums over the rows i in order: add(i, j, sums) adds row i's terms of column j to sums[0 ..
// Kinds), and done(j, sums) takes the column's. Columns go in chunks of a cache line of floats, each walking the rows
// along its chunk: a column alone read one value of each line.
template <int Kinds, typename Add, typename Done>
void column_sums(std::int64_t n, std::int64_t d, Add&& add, Done&& done) {
  constexpr std::int64_t kChunk = 16;
#pragma omp parallel for schedule(static) if (n * d > kParallelValues)
  for (std::int64_t j0 = 0; j0 < d; j0 += kChunk) {
    const std::int64_t width = std::min(kChunk, d - j0);
    double sums[kChunk][Kinds] = {};
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < width; ++j) add(i, j0 + j, sums[j]);
    for (std::int64_t j = 0; j < width; ++j) done(j0 + j, sums[j]);
  }
}

}  // namespace nnplug
