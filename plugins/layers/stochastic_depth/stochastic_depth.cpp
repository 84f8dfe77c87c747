// Layer 'stochastic_depth' (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016; torchvision's
// StochasticDepth, timm's DropPath): while training, drops the whole input of a sample with probability `rate` and
// scales the kept samples by 1 / (1 - rate) (`rate` required, as torchvision's p). Put on a residual branch before
// the merge, it skips the branch for those samples, so that the network trains as an ensemble of shallower ones;
// torchvision's EfficientNet and Swin and timm's ViT and ConvNeXt use it, with a rate growing linearly with depth (a
// block's parameter here). `mode` "row" (the default, timm's) draws per sample; "batch" draws once for the whole
// batch, as torchvision's mode="batch". In eval mode it is the identity.
//
// A sample is one group of group_dropout_mask.hpp, counted from its place in the global batch, so that every rank of
// data-parallel training draws what one process would; the batch's draw is counted from 0 on every rank.
#include <algorithm>

#include <fmt/format.h>

#include "../shared/group_dropout_mask.hpp"
#include "../shared/mask_dropout_layer.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class StochasticDepth final : public layers::MaskDropoutLayer {
 public:
  explicit StochasticDepth(const Params& p) : MaskDropoutLayer(p.require_number("rate")) {
    if (!(rate_ >= 0.0 && rate_ < 1.0)) p.fail("rate", fmt::format("must be in [0, 1) (the probability of dropping a sample's input), got {}", rate_));
    const std::string mode = p.string("mode", "row");
    if (mode != "row" && mode != "batch")
      p.fail("mode", fmt::format("must be \"row\" (a draw per sample) or \"batch\" (one draw for the batch), got \"{}\"", mode));
    per_sample_ = mode == "row";
    p.check_unused();
  }
  std::string type() const override { return "stochastic_depth"; }

 protected:
  void draw_mask(const Tensor& mask, std::uint64_t seed) override {
    const std::int64_t n = mask.dim(0), size = mask.numel() / std::max<std::int64_t>(n, 1);
    if (per_sample_) groups_.draw(*backend_, mask.reshape(Shape{n, size}), rate_, seed, static_cast<std::uint64_t>(first_sample_));
    else groups_.draw(*backend_, mask.reshape(Shape{1, n * size}), rate_, seed, 0);
  }

 private:
  bool per_sample_ = true;
  layers::GroupDropoutMask groups_;
};

}  // namespace

NNPLUG_PLUGIN("stochastic_depth", "0.1.0", "layer:stochastic_depth", 0) {
  registrar.add_layer("stochastic_depth", [](const Params& p) { return std::make_unique<StochasticDepth>(p); });
}
