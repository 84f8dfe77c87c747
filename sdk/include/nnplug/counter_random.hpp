#pragma once
// Counter-based random numbers: a pure function of (seed, index), so that any backend, thread layout or device
// draws the same mask for the same seed. The mixer is splitmix64's finaliser; normals use Box-Muller on the
// uniforms at indices 2i and 2i + 1. Usable in CUDA device code.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define NNPLUG_HOST_DEVICE __host__ __device__
#else
#define NNPLUG_HOST_DEVICE
#endif

namespace nnplug::counter_random {

NNPLUG_HOST_DEVICE constexpr std::uint64_t mix(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1), 53 bits.
NNPLUG_HOST_DEVICE inline double uniform(std::uint64_t seed, std::uint64_t index) {
  return static_cast<double>(mix(seed, index) >> 11) * 0x1.0p-53;
}

// Standard normal.
NNPLUG_HOST_DEVICE inline double normal(std::uint64_t seed, std::uint64_t index) {
  const double u1 = 1.0 - uniform(seed, 2 * index);  // in (0, 1]: log is finite
  const double u2 = uniform(seed, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586477 * u2);
}

}  // namespace nnplug::counter_random
