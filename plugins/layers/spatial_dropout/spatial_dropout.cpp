// Layer 'spatial_dropout' (PyTorch's Dropout1d and Dropout2d, Keras's SpatialDropout1D and SpatialDropout2D): while
// training, drops whole channels of each sample with probability `rate` and scales the rest by 1 / (1 - rate), so
// that neighbouring values of one feature map, which are strongly correlated, are dropped together. A sample is
// (C, ...), channels first as PyTorch's, or with "data_format": "channels_last" (..., C), as Keras's
// SpatialDropout1D reads an embedding's or a recurrent layer's [steps, features]. In eval mode it is the identity.
//
// Each training pass draws one factor per (sample, channel) and spreads it over the channel's positions
// (group_dropout_mask.hpp), then multiplies.
#include <fmt/format.h>

#include "../shared/group_dropout_mask.hpp"
#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class SpatialDropout final : public Layer {
 public:
  explicit SpatialDropout(const Params& p) : rate_(p.number("rate", 0.5)) {
    if (!(rate_ >= 0.0 && rate_ < 1.0)) p.fail("rate", fmt::format("must be in [0, 1) (the probability of dropping a channel), got {}", rate_));
    const std::string format = p.string("data_format", "channels_first");
    if (format != "channels_first" && format != "channels_last")
      p.fail("data_format", fmt::format("must be \"channels_first\" (C, ...) or \"channels_last\" (..., C), got \"{}\"", format));
    channels_last_ = format == "channels_last";
    p.check_unused();
  }
  std::string type() const override { return "spatial_dropout"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 2)
      throw ShapeError(fmt::format("spatial_dropout expects channels and positions per sample, (C, ...) or (..., C), got {}", input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    seed_ = ctx.seed;
    channels_ = channels_last_ ? input[input.rank() - 1] : input[0];
    positions_ = input.numel() / channels_;
    return input;
  }
  void set_training(bool training) override { training_ = training; }
  void set_sample_offset(std::int64_t first) override { first_sample_ = first; }
  std::vector<std::uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<std::uint64_t>& values) override {
    if (values.size() != 1) throw InvalidArgument(fmt::format("spatial_dropout: expected 1 counter, got {}", values.size()));
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
    // A group per (sample, channel), counted from the first sample's place in the global batch; then to (N, S, C)
    // where the channels are last.
    const std::uint64_t seed = counter_random::mix(seed_, calls_++), first = static_cast<std::uint64_t>(first_sample_ * channels_);
    ensure(mask_, be, x.shape(), dtype_);
    if (!channels_last_) {
      mask_draw_.draw(be, mask_.reshape(Shape{n * channels_, positions_}), rate_, seed, first);
    } else {
      ensure(spread_, be, Shape{n, channels_, positions_}, dtype_);
      mask_draw_.draw(be, spread_.reshape(Shape{n * channels_, positions_}), rate_, seed, first);
      be.run(op::Permute{spread_, mask_.reshape(Shape{n, positions_, channels_}), {0, 2, 1}});
    }
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
  bool channels_last_ = false;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0, channels_ = 0, positions_ = 0;
  bool training_ = true, active_ = false;
  layers::GroupDropoutMask mask_draw_;
  // spread_: (N, C, S); mask_: the input's shape. through_: the input or dy, passed on unchanged outside training.
  Tensor spread_, mask_, y_, dx_, through_;
};

}  // namespace

NNPLUG_PLUGIN("spatial_dropout", "0.1.0", "layer:spatial_dropout", 0) {
  registrar.add_layer("spatial_dropout", [](const Params& p) { return std::make_unique<SpatialDropout>(p); });
}
