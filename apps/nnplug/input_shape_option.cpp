// --input-shape, as summary and plugin-check take it: a sample's sizes, each positive, at most a model's count.
#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug::cli {

Shape input_shape_option(const std::vector<long long>& sizes) {
  if (sizes.size() > Model::kMaxSampleSizes)
    throw InvalidArgument(fmt::format("--input-shape: a sample has at most {} sizes (a batch of them {}), got {}", Model::kMaxSampleSizes,
                                      Shape::kMaxRank, sizes.size()));
  Shape input;
  for (long long d : sizes) {
    if (d <= 0) throw InvalidArgument("--input-shape: every extent must be positive");
    input.push_back(d);
  }
  return input;
}

}  // namespace nnplug::cli
