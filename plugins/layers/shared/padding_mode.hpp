#pragma once
// What a layer puts in the border it pads, by PyTorch's padding_mode names: "zeros"; "reflect", the input mirrored
// about its edge value (d c b | a b c d | c b a); "replicate", the edge value repeated (a a a | a b c d | d d d);
// "circular", the input wrapped around (b c d | a b c d | a b c), as a periodic signal or a torus. Each is a 0/1
// matrix along an axis (separable_map.hpp): its transpose, the gradient, adds up the border's gradients into the
// values they were copied from.
#include <fmt/format.h>

#include <string>

#include "separable_map.hpp"

namespace nnplug {

enum class PaddingMode { Zeros, Reflect, Replicate, Circular };

inline const char* padding_mode_name(PaddingMode mode) {
  constexpr const char* names[] = {"zeros", "reflect", "replicate", "circular"};
  return names[static_cast<int>(mode)];
}

inline PaddingMode read_padding_mode(const Params& p, const std::string& key) {
  const std::string name = p.string(key, "zeros");
  for (const PaddingMode mode : {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular})
    if (name == padding_mode_name(mode)) return mode;
  p.fail(key, fmt::format("must be \"zeros\", \"reflect\", \"replicate\" or \"circular\" (PyTorch's padding_mode), got \"{}\"", name));
}

// Throws ShapeError naming the layer, the input and the axis where `mode` cannot pad `pad` values onto a side of an
// axis of `size`: a reflection has size - 1 values to mirror, a wrap size (PyTorch refuses more, too).
inline void check_padding_fits(const std::string& layer, PaddingMode mode, std::int64_t pad, std::int64_t size, const char* axis,
                               const Shape& input) {
  const std::int64_t most = mode == PaddingMode::Reflect ? size - 1 : size;
  if (pad <= most || mode == PaddingMode::Zeros || mode == PaddingMode::Replicate) return;
  throw ShapeError(fmt::format("{}: padding_mode \"{}\" cannot pad {} onto a side of the {} {} of input {}: it pads at most {} ({})", layer,
                               padding_mode_name(mode), pad, axis, size, input.str(), most,
                               mode == PaddingMode::Reflect ? "one less than the side" : "the side"));
}

// The (before + in + after, in) matrix that places `in` values after `before` border values and fills the border by
// `mode`, each border value a copy of one input value (none for zeros).
inline HostMatrix padding_placement(std::int64_t in, std::int64_t before, std::int64_t after, PaddingMode mode) {
  const std::int64_t out = before + in + after;
  HostMatrix m{out, in, std::vector<double>(static_cast<std::size_t>(out * in), 0.0)};
  for (std::int64_t o = 0; o < out; ++o) {
    std::int64_t from = o - before;
    if (from < 0 || from >= in) {
      if (mode == PaddingMode::Zeros) continue;
      if (mode == PaddingMode::Reflect) from = from < 0 ? -from : 2 * (in - 1) - from;
      if (mode == PaddingMode::Replicate) from = from < 0 ? 0 : in - 1;
      if (mode == PaddingMode::Circular) from = (from % in + in) % in;
    }
    m.values[static_cast<std::size_t>(o * in + from)] = 1.0;
  }
  return m;
}

}  // namespace nnplug
