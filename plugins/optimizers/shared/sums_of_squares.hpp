#pragma once
// The optimizers that scale a parameter tensor's step by norms (LAMB's and LARS's trust ratios, Adafactor's RMS) take
// them with the backend's sum_squares op, two sums a parameter, which never leave the backend (a recorded CUDA step
// replays them), and step with an op of their plugin that reads them: op(x, squares [2]) -> outputs of x's shape.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "nnplug/optimizer.hpp"

namespace nnplug::optimizers {

// Such an op's schema but for its attributes and host reference: inputs {x, "squares"}, outputs of x's shape, the
// outputs updated, and plugin-check's shapes and non-negative sums. `x_is` and `sums_are` name them in messages:
// "a direction", "the parameter's, the direction's".
inline OpSchema squares_step_schema(const std::string& name, const std::string& x, std::vector<std::string> outputs, const std::string& x_is,
                                    const std::string& sums_are) {
  OpSchema s;
  s.name = name;
  s.inputs = {x, "squares"};
  s.outputs = std::move(outputs);
  s.updates_outputs = true;
  s.shape_rule = [name, x_is, sums_are, count = s.outputs.size()](const std::vector<Shape>& in, const OpAttributes&) {
    if (in[1] != Shape{2})
      throw ShapeError(fmt::format("{} takes {} and 2 sums of squares ({}), got {} and {}", name, x_is, sums_are, in[0].str(), in[1].str()));
    return std::vector<Shape>(count, in[0]);
  };
  s.check_shapes = {Shape{4, 6}, Shape{2}};
  s.check_values = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) {
    for (double& v : inputs[1].values) v = std::abs(v);
  };
  return s;
}

// Two sums of squares a parameter, on its backend; zeros until taken (a trust ratio of 1, for a step that does not
// adapt).
class SumsOfSquares {
 public:
  void allocate(const std::vector<Parameter*>& parameters) {
    if (parameters.empty()) return;
    const Tensor& first = parameters.front()->value;
    sums_ = first.backend().empty(Shape{2 * static_cast<std::int64_t>(parameters.size())}, first.dtype());
    first.backend().run(op::Fill{sums_, 0.0});
  }
  // Parameter i's two sums, of a and of b, taken now.
  Tensor take(std::size_t i, const Tensor& a, const Tensor& b) const {
    const auto at = 2 * static_cast<std::int64_t>(i);
    a.backend().run(op::SumSquares{a, sums_.rows(at, at + 1)});
    b.backend().run(op::SumSquares{b, sums_.rows(at + 1, at + 2)});
    return of(i);
  }
  // Parameter i's two sums as they stand.
  Tensor of(std::size_t i) const {
    const auto at = 2 * static_cast<std::int64_t>(i);
    return sums_.rows(at, at + 2);
  }

 private:
  Tensor sums_;
};

}  // namespace nnplug::optimizers
