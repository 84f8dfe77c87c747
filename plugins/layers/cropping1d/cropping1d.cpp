// Layer 'cropping1d' (Keras's Cropping1D, PyTorch's x[:, start:end]): steps cut off both ends of each sample's first
// axis, [steps, ...] -> [steps - start - end, ...]. "cropping" is a number (both ends) or [start, end], as Keras
// takes it. A sample of token ids [steps] may be cropped as well as one of features [steps, features], so that one
// input row can hold two sequences (a translation's source and target) that the layers after take apart.
// Seen as rows of a batch's samples, the kept steps are one block of columns: the forward copies it out and the
// gradient copies it back into zeros (op::CopyColumns), in any dtype.
#include <array>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

constexpr std::int64_t kLargestEnd = std::int64_t{1} << 40;

class Cropping1d final : public Layer {
 public:
  explicit Cropping1d(std::array<std::int64_t, 2> ends) : ends_(ends) {}
  std::string type() const override { return "cropping1d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 1) throw ShapeError(fmt::format("cropping1d: a sample must have steps to crop, got {}", input.str()));
    if (input[0] - ends_[0] - ends_[1] < 1)
      throw ShapeError(fmt::format("cropping1d: cropping [{}, {}] leaves no step of {}", ends_[0], ends_[1], input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    input_ = input;
    output_ = input;
    output_[0] = input[0] - ends_[0] - ends_[1];
    step_size_ = input.numel() / input[0];
    return output_;
  }
  const Tensor& forward(const Tensor& x) override {
    const std::int64_t n = x.dim(0);
    backend_->run(op::CopyColumns{ensure(y_, *backend_, output_.with_batch(n), dtype_), x, n, ends_[0] * step_size_, false});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) return dx_ = Tensor();
    const std::int64_t n = dy.dim(0);
    ensure(dx_, *backend_, input_.with_batch(n), dtype_);
    backend_->run(op::Fill{dx_, 0.0});
    backend_->run(op::CopyColumns{dy, dx_, n, ends_[0] * step_size_, true});
    return dx_;
  }

 private:
  std::array<std::int64_t, 2> ends_;  // the steps cut off at the start and at the end
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape input_, output_;
  std::int64_t step_size_ = 1;  // the elements of one step
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("cropping1d", "0.1.0", "layer:cropping1d", 0) {
  registrar.add_layer("cropping1d", [](const Params& p) {
    if (!p.has("cropping")) p.fail("cropping", "is required: a number (both ends) or [start, end]");
    const Params::Json& v = p.json()["cropping"];
    const auto end = [&](const Params::Json& e) {
      if (!e.is_number_integer() || e.get<std::int64_t>() < 0 || e.get<std::int64_t>() > kLargestEnd)
        p.fail("cropping", fmt::format("must be a number or [start, end] of whole numbers in [0, {}], got {}", kLargestEnd, Params::shown(v)));
      return e.get<std::int64_t>();
    };
    std::array<std::int64_t, 2> ends{};
    if (v.is_array() && v.size() == 2) ends = {end(v[0]), end(v[1])};
    else ends = {end(v), end(v)};
    p.accept({"cropping"});
    p.check_unused();
    return std::make_unique<Cropping1d>(ends);
  });
}
