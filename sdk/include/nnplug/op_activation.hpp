#pragma once
// OpActivation: an activation that runs a plugin op (custom_op.hpp) forward and its gradient op backward, with
// attribute values fixed when it is made. activation_op_schemas() gives the two schemas such an activation runs,
// NAME(x) -> (y) and NAME_grad(x, y, dy) -> (dx), for the plugin to complete with references and register.
#include <string>
#include <utility>
#include <vector>

#include "nnplug/activation.hpp"
#include "nnplug/custom_op.hpp"

namespace nnplug {

// The op and its gradient op, both taking `attributes`; the first names the second as its gradient.
inline std::pair<OpSchema, OpSchema> activation_op_schemas(const std::string& name, std::vector<OpAttribute> attributes = {}) {
  OpSchema op, gradient;
  op.name = name;
  op.inputs = {"x"};
  op.outputs = {"y"};
  op.attributes = attributes;
  op.gradient = fmt::format("{}_grad", name);
  gradient.name = op.gradient;
  gradient.inputs = {"x", "y", "dy"};
  gradient.outputs = {"dx"};
  gradient.attributes = std::move(attributes);
  return {std::move(op), std::move(gradient)};
}

class OpActivation final : public Activation {
 public:
  using Values = std::vector<std::pair<std::string, OpAttributeValue>>;  // attribute name and value

  OpActivation(std::string name, OpHandle op, Values attributes = {})
      : name_(std::move(name)), op_(std::move(op)), attributes_(std::move(attributes)) {
    for (const auto& [attribute, value] : attributes_) named_.emplace_back(attribute, value);
  }
  OpActivation(const OpActivation&) = delete;  // named_ points into attributes_
  OpActivation& operator=(const OpActivation&) = delete;
  std::string type() const override { return name_; }
  // Binds the op now, so that a backend without a kernel for it is refused when the model is built.
  void prepare(Backend& backend, DType dtype) override { op_.on(backend, dtype); }
  void forward(const Tensor& x, const Tensor& y) override { op_.on(x)({x}, {y}, named_); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& dx) override {
    op_.on(x).gradient()({x, y, dy}, {dx}, named_);
  }

 private:
  std::string name_;
  OpHandle op_;
  Values attributes_;
  BoundOp::NamedValues named_;  // views of attributes_, built once
};

}  // namespace nnplug
