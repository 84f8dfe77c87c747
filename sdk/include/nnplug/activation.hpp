#pragma once
// Activation: an element-wise (or, for softmax, row-wise) function with no parameters. y has x's shape.
// A model uses one as a layer ({"type": "relu"}) or after a layer ({"type": "dense", "activation": "relu"}).
#include <optional>
#include <string>

#include "nnplug/backend.hpp"
#include "nnplug/export.hpp"

namespace nnplug {

// A built-in element-wise function and its parameter, as op::Activation runs them.
struct PointwiseFunction {
  Pointwise fn = Pointwise::Identity;
  double alpha = kFunctionDefault;
};

class NNPLUG_API Activation {
 public:
  virtual ~Activation() = default;
  virtual std::string type() const = 0;
  // Throws ShapeError if the activation cannot take this per-sample shape (softmax wants a vector).
  virtual void check(const Shape& input) const { (void)input; }
  // Called when the model is built, with the backend and dtype it will run on. An activation that runs plugin ops
  // binds them here (custom_op.hpp), so that an op with no kernel on this backend is refused before training.
  virtual void prepare(Backend& backend, DType dtype) { (void)backend, (void)dtype; }
  // y = f(x); y has x's shape and may be x.
  virtual void forward(const Tensor& x, const Tensor& y) = 0;
  // dx = dL/dx given x, y = f(x) and dy = dL/dy.
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& dx) = 0;

  // The built-in function this activation computes, if it is one (PointwiseActivation): the layer before it may
  // then apply it in its own output pass (Layer::fuse_activation).
  virtual std::optional<PointwiseFunction> pointwise() const { return std::nullopt; }
};

}  // namespace nnplug
