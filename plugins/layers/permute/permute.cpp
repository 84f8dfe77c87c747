// Layer 'permute' (Keras Permute, torch's x.permute): each sample's axes reordered. "dims": the sample's axes in
// their new order, numbered from 1 as Keras numbers them, which are PyTorch's numbers with the batch as axis 0:
// [2, 1] turns (steps, features) into (features, steps), as an embedding's output becomes conv1d's input, or
// conv1d's output an lstm's. The values are copied (the reordered elements are no longer row-major); the gradient
// goes back through the inverse order.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Permute final : public Layer {
 public:
  explicit Permute(std::vector<int> dims) : dims_(std::move(dims)) {
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      forward_[i + 1] = static_cast<std::int8_t>(dims_[i]);
      backward_[static_cast<std::size_t>(dims_[i])] = static_cast<std::int8_t>(i + 1);
    }
  }
  std::string type() const override { return "permute"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (static_cast<std::size_t>(input.rank()) != dims_.size())
      throw ShapeError(fmt::format("permute: dims [{}] reorder {} axes, but a sample is {}", fmt::join(dims_, ", "), dims_.size(), input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    output_ = Shape();
    for (const int d : dims_) output_.push_back(input[d - 1]);
    return output_;
  }
  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    backend_->run(op::Permute{x, ensure(y_, *backend_, output_.with_batch(x.dim(0)), dtype_), forward_});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) dx_ = Tensor();
    else backend_->run(op::Permute{dy, ensure(dx_, *backend_, input_shape_, dtype_), backward_});
    return dx_;
  }

 private:
  std::vector<int> dims_;
  std::array<std::int8_t, Shape::kMaxRank> forward_{}, backward_{};  // the op's orders, the batch (axis 0) staying first
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, input_shape_;
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("permute", "0.1.0", "layer:permute", 0) {
  registrar.add_layer("permute", [](const Params& p) {
    const auto given = p.numbers("dims", {}, 0, 1, Shape::kMaxRank - 1);
    std::vector<int> dims;
    for (const double d : given) dims.push_back(d == std::floor(d) ? static_cast<int>(d) : 0);
    std::vector<int> sorted = dims;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int>(i + 1)) sorted.clear();
    if (sorted.empty())
      p.fail("dims", fmt::format("must order a sample's axes, numbered from 1 (the batch not included): each of 1 to n once, n at most {}",
                                 Shape::kMaxRank - 1));
    p.check_unused();
    return std::make_unique<Permute>(std::move(dims));
  });
}
