#pragma once
// GradientTransform: changes the gradients of all trainable parameters after the backward pass and before the
// optimizer's step (clipping, noise), so that it composes with any optimizer. Transforms apply in spec order.
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/export.hpp"
#include "nnplug/layer.hpp"

namespace nnplug {

class NNPLUG_API GradientTransform {
 public:
  virtual ~GradientTransform() = default;
  virtual std::string type() const = 0;
  // step counts optimizer steps from 0 since training began.
  virtual void apply(const std::vector<Parameter*>& parameters, std::int64_t step) = 0;
};

}  // namespace nnplug
