// Layer 'concat' (torch.cat; Keras Concatenate): two or more inputs joined along one per-sample axis, "axis" 0
// (channels, or features; torch.cat(dim=1) of the batch) by default, negative counting from the last. Every other
// axis must agree. Each input is one block of columns of the output seen as (rows, width), rows being the batch
// and the axes before the joined one.
#include <fmt/format.h>

#include "nnplug/merge_layer.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Concat final : public MergeLayer {
 public:
  explicit Concat(std::int64_t axis) : axis_(axis) {}
  std::string type() const override { return "concat"; }

  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    const auto rank = static_cast<std::int64_t>(inputs.front().rank());
    if (axis_ < -rank || axis_ >= rank)
      throw ShapeError(fmt::format("concat's axis {} does not exist in inputs of shape {}", axis_, inputs.front().str()));
    const auto axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    Shape out = inputs.front();
    out[axis] = 0;
    for (const Shape& s : inputs) {
      Shape a = s, b = inputs.front();
      if (s.rank() == inputs.front().rank()) a[axis] = b[axis] = 0;
      if (!(a == b))
        throw ShapeError(fmt::format("concat along axis {} needs inputs that agree on every other axis, got {} and {}", axis_,
                                     inputs.front().str(), s.str()));
      out[axis] += s[axis];
    }
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= out[d];
    batched_axis_ = axis + 1;
    backend_ = &ctx.backend;
    dx_.resize(inputs.size());
    return out;
  }

  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    Shape out = inputs[0].shape();
    out[batched_axis_] = 0;
    for (const Tensor& x : inputs) out[batched_axis_] += x.shape()[batched_axis_];
    ensure(y_, *backend_, out, inputs[0].dtype());
    rows_ = inputs[0].dim(0) * outer_;
    offsets_.clear();
    std::int64_t offset = 0;
    for (const Tensor& x : inputs) {
      backend_->run(op::CopyColumns{x, y_, rows_, offset, true});
      offsets_.push_back(offset);
      offset += x.numel() / rows_;
    }
    input_shapes_.clear();
    for (const Tensor& x : inputs) input_shapes_.push_back(x.shape());
    return y_;
  }

  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    for (std::size_t i = 0; i < dx_.size(); ++i)
      backend_->run(op::CopyColumns{ensure(dx_[i], *backend_, input_shapes_[i], dy.dtype()), dy, rows_, offsets_[i], false});
    return dx_;
  }

 private:
  std::int64_t axis_;
  int batched_axis_ = 1;  // the joined axis of a batched input
  std::int64_t outer_ = 1, rows_ = 1;
  Backend* backend_ = nullptr;
  std::vector<std::int64_t> offsets_;
  std::vector<Shape> input_shapes_;
  std::vector<Tensor> dx_;
  Tensor y_;
};

}  // namespace

NNPLUG_PLUGIN("concat", "0.1.0", "layer:concat", 0) {
  registrar.add_layer("concat", [](const Params& p) {
    const auto axis = p.integer("axis", 0);
    p.check_unused();
    return std::make_unique<Concat>(axis);
  });
}
