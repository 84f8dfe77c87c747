#pragma once
// How layer_norm's and rms_norm's cpu kernels split a batch of rows (N, D) between OpenMP's threads (the backend's
// count; link OpenMP::OpenMP_CXX): each row's values by rows, and their parameters' gradients, sums over the rows, by
// columns. Either way every value is computed as on one thread, so any thread count gives the same values.
#include <algorithm>
#include <cstdint>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"

namespace nnplug {

// rows(first, count) over consecutive blocks of rows that cover [0, n), split between the threads.
template <typename Rows>
void parallel_rows(std::int64_t n, std::int64_t d, Rows&& rows) {
  constexpr std::int64_t kRows = 16;
#pragma omp parallel for schedule(static) if (n * d > kParallelValues)
  for (std::int64_t first = 0; first < n; first += kRows) rows(first, std::min(kRows, n - first));
}

// One chunk of column_sums: width columns from j0, at the CPU's vector width (vector_clones.hpp).
template <int Kinds, std::int64_t Chunk, typename Add, typename Done>
NNPLUG_VECTOR_CLONES void column_chunk_sums(std::int64_t n, std::int64_t j0, std::int64_t width, Add add, Done done) {
  double sums[Chunk][Kinds] = {};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < width; ++j) add(i, j0 + j, sums[j]);
  for (std::int64_t j = 0; j < width; ++j) done(j0 + j, sums[j]);
}

// For each column j, sums over the rows i in order: add(i, j, sums) adds row i's terms of column j to sums[0 ..
// Kinds), and done(j, sums) takes the column's. Columns go in chunks of a cache line of floats, each walking the rows
// along its chunk: a column alone read one value of each line.
template <int Kinds, typename Add, typename Done>
void column_sums(std::int64_t n, std::int64_t d, Add&& add, Done&& done) {
  constexpr std::int64_t kChunk = 16;
#pragma omp parallel for schedule(static) if (n * d > kParallelValues)
  for (std::int64_t j0 = 0; j0 < d; j0 += kChunk) column_chunk_sums<Kinds, kChunk>(n, j0, std::min(kChunk, d - j0), add, done);
}

}  // namespace nnplug
