// Layers 'add' (Keras Add; a residual connection's x + f(x) in PyTorch), 'subtract' (Keras Subtract: the first
// input minus the second) and 'average' (Keras Average), built from this one source as three plugins
// (NNPLUG_MERGE_KIND): the element-wise sum of two or more inputs of one shape, each input weighed by its
// coefficient (1; 1 and -1; 1 / count). Each input's gradient is dy times its coefficient.
#include <fmt/format.h>

#include "nnplug/merge_layer.hpp"
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_MERGE_KIND)
#define NNPLUG_MERGE_KIND Sum
#define NNPLUG_MERGE_NAME "add"
#endif

namespace {

using namespace nnplug;

enum class Kind { Sum, Difference, Mean };
constexpr Kind kKind = Kind::NNPLUG_MERGE_KIND;

class Add final : public MergeLayer {
 public:
  std::string type() const override { return NNPLUG_MERGE_NAME; }

  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    require_one_shape(inputs);
    if (kKind == Kind::Difference && inputs.size() != 2)
      throw ShapeError(fmt::format("subtract takes two inputs (the first minus the second), got {}", inputs.size()));
    coefficients_.clear();
    for (std::size_t i = 0; i < inputs.size(); ++i)
      coefficients_.push_back(kKind == Kind::Mean ? 1.0 / static_cast<double>(inputs.size()) : kKind == Kind::Difference && i == 1 ? -1.0 : 1.0);
    backend_ = &ctx.backend;
    dx_.resize(inputs.size());
    copies_.resize(inputs.size());
    reordered_.resize(inputs.size());
    return inputs.front();
  }

  // The sum is in the first input's layout; an input in another (a shortcut's row-major image beside a
  // convolution's channel blocks) is reordered into it, and the model reorders its gradient back into its own.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    const Tensor& first = inputs[0];
    backend_->run(op::Axpby{first, ensure(y_, *backend_, first.shape(), first.dtype(), first.layout()), coefficients_[0], 0.0});
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      if (inputs[i].layout() == first.layout()) backend_->run(op::Axpby{inputs[i], y_, coefficients_[i], 1.0});
      else {
        backend_->run(op::Copy{inputs[i], ensure(reordered_[i], *backend_, first.shape(), first.dtype(), first.layout())});
        backend_->run(op::Axpby{reordered_[i], y_, coefficients_[i], 1.0});
      }
    }
    return y_;
  }

  // Each input whose coefficient is 1 takes dy itself (the model copies a gradient that two nodes share before it
  // adds to one of them in place, and reorders one into its input's layout); the others get scaled copies.
  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    for (std::size_t i = 0; i < dx_.size(); ++i) {
      if (coefficients_[i] == 1.0) {
        dx_[i] = dy;
        continue;
      }
      backend_->run(op::Axpby{dy, ensure(copies_[i], *backend_, dy.shape(), dy.dtype(), dy.layout()), coefficients_[i], 0.0});
      dx_[i] = copies_[i];
    }
    return dx_;
  }

 private:
  std::vector<double> coefficients_;  // each input's
  Backend* backend_ = nullptr;
  Tensor y_;
  std::vector<Tensor> dx_, copies_, reordered_;
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_MERGE_NAME, "0.1.0", "layer:" NNPLUG_MERGE_NAME, 0) {
  registrar.add_layer(NNPLUG_MERGE_NAME, [](const Params& p) {
    p.check_unused();
    return std::make_unique<Add>();
  });
}
