#pragma once
// The mask of a dropout that drops groups of values together (spatial_dropout's channels, stochastic_depth's
// samples): one inverted-dropout factor per group, 0 or 1 / (1 - rate), drawn by op::Dropout (counter-based, so every
// backend and every rank of data-parallel training draws what one process would), then spread over its group's
// values by a product with a row of ones.
#include <cstdint>

#include "nnplug/backend.hpp"

namespace nnplug::layers {

class GroupDropoutMask {
 public:
  // Writes `mask` (groups, size): row g holds group g's factor, drawn with counter first_group + g.
  void draw(Backend& be, const Tensor& mask, double rate, std::uint64_t seed, std::uint64_t first_group) {
    const std::int64_t groups = mask.dim(0), size = mask.dim(1);
    const DType dtype = mask.dtype();
    if (ones_.shape() != Shape{1, size} || ones_.dtype() != dtype) {
      ones_ = be.empty(Shape{1, size}, dtype);
      be.run(op::Fill{ones_, 1.0});
    }
    // Dropout of a column of ones leaves its factors.
    ensure(factors_, be, Shape{groups, 1}, dtype);
    ensure(dropped_ones_, be, factors_.shape(), dtype);
    be.run(op::Fill{dropped_ones_, 1.0});
    be.run(op::Dropout{dropped_ones_, dropped_ones_, factors_, DropoutKind::Inverted, rate, seed, first_group});
    be.run(op::Gemm{.a = factors_, .b = ones_, .c = mask});
  }

 private:
  Tensor ones_, dropped_ones_, factors_;  // (1, size), (groups, 1) and (groups, 1)
};

}  // namespace nnplug::layers
