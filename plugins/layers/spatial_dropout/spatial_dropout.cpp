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
#include "../shared/mask_dropout_layer.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class SpatialDropout final : public layers::MaskDropoutLayer {
 public:
  explicit SpatialDropout(const Params& p) : MaskDropoutLayer(p.number("rate", 0.5)) {
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
    channels_ = channels_last_ ? input[input.rank() - 1] : input[0];
    positions_ = input.numel() / channels_;
    return MaskDropoutLayer::build(input, ctx);
  }

 protected:
  // A group per (sample, channel), counted from the first sample's place in the global batch; then to (N, S, C)
  // where the channels are last.
  void draw_mask(const Tensor& mask, std::uint64_t seed) override {
    const std::int64_t n = mask.dim(0);
    const auto first = static_cast<std::uint64_t>(first_sample_ * channels_);
    if (!channels_last_) {
      groups_.draw(*backend_, mask.reshape(Shape{n * channels_, positions_}), rate_, seed, first);
      return;
    }
    ensure(spread_, *backend_, Shape{n, channels_, positions_}, dtype_);
    groups_.draw(*backend_, spread_.reshape(Shape{n * channels_, positions_}), rate_, seed, first);
    backend_->run(op::Permute{spread_, mask.reshape(Shape{n, positions_, channels_}), {0, 2, 1}});
  }

 private:
  bool channels_last_ = false;
  std::int64_t channels_ = 0, positions_ = 0;
  layers::GroupDropoutMask groups_;
  Tensor spread_;  // (N, C, S)
};

}  // namespace

NNPLUG_PLUGIN("spatial_dropout", "0.1.0", "layer:spatial_dropout", 0) {
  registrar.add_layer("spatial_dropout", [](const Params& p) { return std::make_unique<SpatialDropout>(p); });
}
