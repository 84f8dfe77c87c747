#pragma once
// How a plugin's CPU kernel splits an element-wise loop between OpenMP's threads, the backend's count (the plugin
// links OpenMP::OpenMP_CXX; without it the loop runs on the calling thread): in consecutive chunks, every element
// computed as on one thread, so that any thread count gives the same values.
#include <algorithm>
#include <cstdint>

namespace nnplug {

// Loops over fewer elements than this run on the calling thread: a parallel region costs microseconds. The cpu
// backend's thresholds, which a plugin cannot include: an optimizer's step's, and a layer's (the normalisations).
constexpr std::int64_t kParallelElements = std::int64_t{1} << 13;
constexpr std::int64_t kParallelValues = std::int64_t{1} << 15;

// chunk(begin, count) over consecutive chunks that cover [0, n).
template <typename Chunk>
void parallel_chunks(std::int64_t n, Chunk&& chunk) {
  constexpr std::int64_t kChunk = std::int64_t{1} << 12;
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (std::int64_t begin = 0; begin < n; begin += kChunk) chunk(begin, std::min(kChunk, n - begin));
}

}  // namespace nnplug
