#pragma once
// e^v in float by plain arithmetic, for a plugin's float32 kernel compiled at the CPU's vector width
// (vector_clones.hpp): libm's expf is a call a value, and Eigen's exp runs at the width the plugin was compiled for
// (SSE2), which a clone does not widen. Cephes' expf: e^v = 2^k e^r with k the nearest integer to v / ln 2, r = v - k
// ln 2 taken in two parts, and e^r a polynomial of degree 7, within 2 ulp of e^v. v is clamped to [-87.3, 88], so that
// 2^k stays a normal float (k from -126 to 127): below it gives about 1.2e-38 (not 0), above about 1.7e38 (not inf).
#include <algorithm>
#include <bit>
#include <cstdint>

namespace nnplug {

[[gnu::always_inline]] inline float vector_exp(float v) {
  v = std::min(std::max(v, -87.3f), 88.0f);
  // k rounded to nearest by adding 1.5 * 2^23, which leaves k in the low bits of the sum's mantissa: it vectorises
  // where nearbyint may not, and k is taken from those bits, without a conversion that NaN would make undefined.
  constexpr float kRound = 12582912.0f;
  const float shifted = v * 1.44269504088896341f + kRound, k = shifted - kRound;
  const std::uint32_t k_bits = std::bit_cast<std::uint32_t>(shifted) - std::bit_cast<std::uint32_t>(kRound);  // k mod 2^32
  const float r = (v - k * 0.693359375f) - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  return e_r * std::bit_cast<float>((k_bits + 127u) << 23);  // times 2^k, k from -126 to 127
}

}  // namespace nnplug
