// Layer 'channel_shuffle' (torch.nn.ChannelShuffle, ShuffleNet's, Zhang et al. 2018): the C channels of a sample
// (C, ...) in `groups` groups (required, dividing C) of C / groups are interleaved, channel k of group g moving to
// place k groups + g, so that a grouped convolution after it reads channels from every group of the one before.
// One reorder of the batch seen as (N, groups, C / groups, rest) to (N, C / groups, groups, rest); the gradient
// reorders back.
#include <array>
#include <cstdint>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

// (N, a, b, rest) <-> (N, b, a, rest): its own inverse, the two shapes swapping.
constexpr std::array<std::int8_t, Shape::kMaxRank> kSwapGroups{0, 2, 1, 3};

class ChannelShuffle final : public Layer {
 public:
  explicit ChannelShuffle(const Params& p) : groups_(p.require_integer("groups", 1)) { p.check_unused(); }
  std::string type() const override { return "channel_shuffle"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 1 || input[0] % groups_ != 0)
      throw ShapeError(fmt::format("channel_shuffle: groups {} does not divide the channels of input {} (channels first)", groups_, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const std::int64_t rest = input.numel() / input[0];
    grouped_ = Shape{groups_, input[0] / groups_, rest};
    shuffled_ = Shape{input[0] / groups_, groups_, rest};
    input_ = input;
    return input;
  }
  const Tensor& forward(const Tensor& x) override {
    const std::int64_t n = x.dim(0);
    backend_->run(op::Permute{x.reshape(grouped_.with_batch(n)), ensure(y_, *backend_, input_.with_batch(n), dtype_).reshape(shuffled_.with_batch(n)),
                              kSwapGroups});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    const std::int64_t n = dy.dim(0);
    backend_->run(op::Permute{dy.reshape(shuffled_.with_batch(n)), ensure(dx_, *backend_, input_.with_batch(n), dtype_).reshape(grouped_.with_batch(n)),
                              kSwapGroups});
    return dx_;
  }

 private:
  std::int64_t groups_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape input_, grouped_, shuffled_;  // a sample, and its views (groups, C / groups, rest) and (C / groups, groups, rest)
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("channel_shuffle", "0.1.0", "layer:channel_shuffle", 0) {
  registrar.add_layer("channel_shuffle", [](const Params& p) { return std::make_unique<ChannelShuffle>(p); });
}
