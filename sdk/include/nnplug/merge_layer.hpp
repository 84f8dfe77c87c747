#pragma once
// MergeLayer: a layer that combines the outputs of two or more nodes (add, concat, multiply). A spec gives such a
// node its "inputs"; the model builds and runs it through build_merge(), forward_merge() and backward_merge(), and
// sums the gradients of a node whose output feeds several others.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/layer.hpp"

namespace nnplug {

class MergeLayer : public Layer {
 public:
  bool merges() const final { return true; }

  // What a one-input model would call: a merge layer needs "inputs".
  Shape build(const Shape&, const BuildContext&) final { throw needs_inputs(); }
  const Tensor& forward(const Tensor&) final { throw needs_inputs(); }
  const Tensor& backward(const Tensor&, bool) final { throw needs_inputs(); }

 protected:
  // For element-wise merges (add, multiply): throws ShapeError unless every input has the first one's shape.
  void require_one_shape(const std::vector<Shape>& inputs) const {
    for (const Shape& s : inputs)
      if (!(s == inputs.front()))
        throw ShapeError(fmt::format("{} needs inputs of one shape, got {} and {}", type(), inputs.front().str(), s.str()));
  }

 private:
  ShapeError needs_inputs() const {
    return ShapeError(fmt::format("{} merges two or more inputs: name them with \"inputs\": [\"a\", \"b\"]", type()));
  }
};

}  // namespace nnplug
