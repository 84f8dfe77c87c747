// Layer 'multiply' (Keras Multiply; a gate's x * g): the element-wise product of two or more inputs of one shape.
// dL/d(input i) is dy times the product of the other inputs.
#include "nnplug/merge_layer.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Multiply final : public MergeLayer {
 public:
  std::string type() const override { return "multiply"; }

  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    require_one_shape(inputs);
    backend_ = &ctx.backend;
    dx_.resize(inputs.size());
    return inputs.front();
  }

  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    inputs_ = inputs;
    ensure(y_, *backend_, inputs[0].shape(), inputs[0].dtype());
    backend_->run(op::Multiply{inputs[0], inputs[1], y_});
    for (std::size_t i = 2; i < inputs.size(); ++i) backend_->run(op::Multiply{y_, inputs[i], y_});
    return y_;
  }

  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    for (std::size_t i = 0; i < dx_.size(); ++i) {
      ensure(dx_[i], *backend_, dy.shape(), dy.dtype());
      const Tensor* from = &dy;
      for (std::size_t j = 0; j < inputs_.size(); ++j)
        if (j != i) {
          backend_->run(op::Multiply{*from, inputs_[j], dx_[i]});
          from = &dx_[i];
        }
    }
    return dx_;
  }

 private:
  Backend* backend_ = nullptr;
  std::vector<Tensor> inputs_, dx_;
  Tensor y_;
};

}  // namespace

NNPLUG_PLUGIN("multiply", "0.1.0", "layer:multiply", 0) {
  registrar.add_layer("multiply", [](const Params& p) {
    p.check_unused();
    return std::make_unique<Multiply>();
  });
}
