#pragma once
// PyTorch's normalized_shape, as layer_norm and rms_norm take it: the sample's last sizes normalised together.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/params.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

// The spec's "normalized_shape" (a size, or a list of them), or [] when it gives none: the whole sample.
inline std::vector<std::int64_t> read_normalized_shape(const Params& p) {
  std::vector<std::int64_t> normalized;
  if (!p.has("normalized_shape")) return normalized;
  const Params::Json& given = p.json()["normalized_shape"];
  const auto sizes = given.is_number() ? std::vector<double>{p.require_number("normalized_shape")} : p.numbers("normalized_shape", {});
  if (sizes.empty() || sizes.size() > static_cast<std::size_t>(Shape::kMaxRank - 1))
    p.fail("normalized_shape", fmt::format("must be a size or a list of 1 to {} sizes, got {}", Shape::kMaxRank - 1, Params::shortened(given.dump())));
  for (double size : sizes) {
    if (!(size >= 1 && size <= 1e15 && size == std::floor(size)))
      p.fail("normalized_shape", fmt::format("must hold whole sizes of at least 1, got {}", Params::shortened(given.dump())));
    normalized.push_back(static_cast<std::int64_t>(size));
  }
  return normalized;
}

// The shape normalised together on samples of `input`: `normalized`, or the whole sample where it is []. Throws
// ShapeError, naming the layer, unless those are the sample's last sizes.
inline Shape normalized_block(const std::string& layer, const std::vector<std::int64_t>& normalized, const Shape& input) {
  const Shape block = normalized.empty() ? input : Shape(normalized);
  const int first = input.rank() - block.rank();
  bool trailing = first >= 0;
  for (int i = 0; trailing && i < block.rank(); ++i) trailing = input[first + i] == block[i];
  if (!trailing) throw ShapeError(fmt::format("{}: normalized_shape {} is not the last sizes of a sample {}", layer, block.str(), input.str()));
  return block;
}

}  // namespace nnplug
