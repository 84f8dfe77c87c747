// Layer 'add' (Keras Add; a residual connection's x + f(x) in PyTorch): the element-wise sum of two or more inputs
// of one shape. Its gradient reaches every input unchanged.
#include "nnplug/merge_layer.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Add final : public MergeLayer {
 public:
  std::string type() const override { return "add"; }

  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    require_one_shape(inputs);
    backend_ = &ctx.backend;
    dx_.resize(inputs.size());
    copies_.resize(inputs.size());
    reordered_.resize(inputs.size());
    return inputs.front();
  }

  // The sum is in the first input's layout; an input in another (a shortcut's row-major image beside a
  // convolution's channel blocks) is reordered into it, and its gradient back into its own.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    const Tensor& first = inputs[0];
    backend_->run(op::Copy{first, ensure(y_, *backend_, first.shape(), first.dtype(), first.layout())});
    layouts_.clear();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      layouts_.push_back(inputs[i].layout());
      if (i == 0) continue;
      if (inputs[i].layout() == first.layout()) backend_->run(op::Axpby{inputs[i], y_, 1.0, 1.0});
      else {
        backend_->run(op::Copy{inputs[i], ensure(reordered_[i], *backend_, first.shape(), first.dtype(), first.layout())});
        backend_->run(op::Axpby{reordered_[i], y_, 1.0, 1.0});
      }
    }
    return y_;
  }

  // The first input takes dy itself; the others get copies, so that whoever adds to one input's gradient in place
  // (the model adds an activity penalty's) does not change another's.
  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    dx_[0] = dy;
    for (std::size_t i = 1; i < dx_.size(); ++i) {
      backend_->run(op::Copy{dy, ensure(copies_[i], *backend_, dy.shape(), dy.dtype(), layouts_[i])});
      dx_[i] = copies_[i];
    }
    return dx_;
  }

 private:
  Backend* backend_ = nullptr;
  Tensor y_;
  std::vector<Tensor> dx_, copies_, reordered_;
  std::vector<Layout> layouts_;  // of each input in the last forward
};

}  // namespace

NNPLUG_PLUGIN("add", "0.1.0", "layer:add", 0) {
  registrar.add_layer("add", [](const Params& p) {
    p.check_unused();
    return std::make_unique<Add>();
  });
}
