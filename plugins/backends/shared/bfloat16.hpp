#pragma once
// bfloat16 on the host: the upper 16 bits of a float32. Rounding is to nearest, ties to even, as PyTorch's
// float-to-bfloat16 conversion; a NaN stays a (quiet) NaN. Shared by the CPU backend's mixed-precision products and
// the mpi communicator's compressed gradients; written as plain functions so that loops over them vectorise.
#include <bit>
#include <cstdint>

namespace nnplug::backends {

inline std::uint16_t to_bfloat16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

inline float from_bfloat16(std::uint16_t word) { return std::bit_cast<float>(std::uint32_t{word} << 16); }

}  // namespace nnplug::backends
