// Layer 'reshape' (Keras Reshape, torch.nn.Unflatten): each sample seen with another shape of as many values, a
// view of the same memory in both directions. "shape": the sizes of a sample, the batch not included; one of them
// may be -1, worked out from the others, as Keras and PyTorch allow.
#include <algorithm>
#include <cmath>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Reshape final : public Layer {
 public:
  explicit Reshape(std::vector<std::int64_t> sizes) : sizes_(std::move(sizes)) {}
  std::string type() const override { return "reshape"; }
  Shape build(const Shape& input, const BuildContext&) override {
    const std::int64_t values = input.numel();
    // The product of the given sizes, stopped as soon as it exceeds the sample's values so that it cannot overflow.
    std::int64_t known = 1;
    bool fits = true;
    for (const std::int64_t s : sizes_) {
      if (s == -1) continue;
      if (known > values / s) fits = false;
      else known *= s;
    }
    const bool infer = std::find(sizes_.begin(), sizes_.end(), std::int64_t{-1}) != sizes_.end();
    fits = fits && (infer ? values % known == 0 : known == values);
    if (!fits)
      throw ShapeError(fmt::format("reshape: a sample of {} holds {} values, which {} cannot hold", input.str(), values, shape_text()));
    sample_ = Shape();
    for (const std::int64_t s : sizes_) sample_.push_back(s == -1 ? values / known : s);
    return sample_;
  }
  const Tensor& forward(const Tensor& x) override {
    input_shape_ = x.shape();
    y_ = x.reshape(sample_.with_batch(x.dim(0)));
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    dx_ = need_input_grad ? dy.reshape(input_shape_) : Tensor();
    return dx_;
  }

 private:
  std::vector<std::int64_t> sizes_;
  Shape sample_;  // the sizes with -1 worked out, from build()
  Shape input_shape_;
  Tensor y_, dx_;

  std::string shape_text() const { return fmt::format("[{}]", fmt::join(sizes_, ", ")); }
};

}  // namespace

NNPLUG_PLUGIN("reshape", "0.1.0", "layer:reshape", 0) {
  registrar.add_layer("reshape", [](const Params& p) {
    const auto given = p.numbers("shape", {}, 0, -1.0, 1e12);
    if (given.empty() || given.size() > Shape::kMaxRank - 1)
      p.fail("shape", fmt::format("must give from 1 to {} sizes of a sample (the batch not included)", Shape::kMaxRank - 1));
    std::vector<std::int64_t> sizes;
    int inferred = 0;
    for (const double s : given) {
      if (s != std::floor(s) || s == 0) p.fail("shape", "must hold positive whole numbers, and at most one -1");
      inferred += s == -1;
      sizes.push_back(static_cast<std::int64_t>(s));
    }
    if (inferred > 1) p.fail("shape", "must hold positive whole numbers, and at most one -1");
    p.check_unused();
    return std::make_unique<Reshape>(std::move(sizes));
  });
}
