// Layer 'stochastic_depth' (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016; torchvision's
// StochasticDepth, timm's DropPath): while training, drops the whole input of a sample with probability `rate` and
// scales the kept samples by 1 / (1 - rate) (`rate` required, as torchvision's p). Put on a residual branch before the merge, it skips the branch for
// those samples, so that the network trains as an ensemble of shallower ones; torchvision's EfficientNet and Swin
// and timm's ViT and ConvNeXt use it, with a rate growing linearly with depth (a block's parameter here). `mode`
// "row" (the default, timm's) draws per sample; "batch" draws once for the whole batch, as torchvision's
// mode="batch". In eval mode it is the identity.
//
// A sample is one group of group_dropout_mask.hpp, counted from its place in the global batch, so that every rank of
// data-parallel training draws what one process would; the batch's draw is counted from 0 on every rank.
#include <fmt/format.h>

#include "../shared/group_dropout_mask.hpp"
#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class StochasticDepth final : public Layer {
 public:
  explicit StochasticDepth(const Params& p) : rate_(p.require_number("rate")) {
    if (!(rate_ >= 0.0 && rate_ < 1.0)) p.fail("rate", fmt::format("must be in [0, 1) (the probability of dropping a sample's input), got {}", rate_));
    const std::string mode = p.string("mode", "row");
    if (mode != "row" && mode != "batch")
      p.fail("mode", fmt::format("must be \"row\" (a draw per sample) or \"batch\" (one draw for the batch), got \"{}\"", mode));
    per_sample_ = mode == "row";
    p.check_unused();
  }
  std::string type() const override { return "stochastic_depth"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    seed_ = ctx.seed;
    sample_size_ = input.numel();
    return input;
  }
  void set_training(bool training) override { training_ = training; }
  void set_sample_offset(std::int64_t first) override { first_sample_ = first; }
  std::vector<std::uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<std::uint64_t>& values) override {
    if (values.size() != 1) throw InvalidArgument(fmt::format("stochastic_depth: expected 1 counter, got {}", values.size()));
    calls_ = values[0];
  }

  const Tensor& forward(const Tensor& x) override {
    active_ = training_ && rate_ > 0.0;
    if (!active_) {  // a handle of its own, so that y_ never points at an input
      through_ = x;
      return through_;
    }
    Backend& be = *backend_;
    const std::int64_t n = x.dim(0);
    const std::uint64_t seed = counter_random::mix(seed_, calls_++);
    ensure(mask_, be, x.shape(), dtype_);
    if (per_sample_) mask_draw_.draw(be, mask_.reshape(Shape{n, sample_size_}), rate_, seed, static_cast<std::uint64_t>(first_sample_));
    else mask_draw_.draw(be, mask_.reshape(Shape{1, n * sample_size_}), rate_, seed, 0);
    be.run(op::Multiply{x, mask_, ensure(y_, be, x.shape(), dtype_)});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    if (!active_) {
      through_ = dy;
      return through_;
    }
    backend_->run(op::Multiply{dy, mask_, ensure(dx_, *backend_, dy.shape(), dtype_)});
    return dx_;
  }

 private:
  double rate_;
  bool per_sample_ = true;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0, sample_size_ = 0;
  bool training_ = true, active_ = false;
  layers::GroupDropoutMask mask_draw_;
  // mask_: the input's shape. through_: the input or dy, passed on unchanged outside training.
  Tensor mask_, y_, dx_, through_;
};

}  // namespace

NNPLUG_PLUGIN("stochastic_depth", "0.1.0", "layer:stochastic_depth", 0) {
  registrar.add_layer("stochastic_depth", [](const Params& p) { return std::make_unique<StochasticDepth>(p); });
}
