// Layer 'upsample2d' (torch.nn.Upsample(scale_factor, mode), Keras UpSampling2D(size, interpolation)): (N, C, H, W)
// -> (N, C, H sh, W sw) for scale_factor (int or [h, w], default 2). mode "nearest" (the default) repeats each pixel
// into a block of scale_factor pixels; "bilinear" interpolates between the nearest four, with PyTorch's
// align_corners (false: half-pixel centres, as Keras's "bilinear"; true: the corner pixels line up).
//
// Nearest upsampling is average pooling's gradient over non-overlapping blocks times the block's size, and its
// gradient is the block's sum, average pooling times the size: two ops every backend runs, each way.
// Bilinear upsampling is separable, Y = A_h X A_w^T for each (H, W) plane with interpolation matrices A (out, in)
// (separable_map.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../shared/separable_map.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

namespace {

using namespace nnplug;

// PyTorch's linear interpolation from `in` samples to in x scale, as an (in x scale, in) row-major matrix: each output
// sample's source position (align_corners: the ends line up; otherwise half-pixel centres, clamped at 0) between
// its two nearest inputs.
HostMatrix interpolation_matrix(std::int64_t in, std::int64_t scale, bool align_corners) {
  const std::int64_t out = in * scale;
  HostMatrix m{out, in, std::vector<double>(static_cast<std::size_t>(out * in), 0.0)};
  for (std::int64_t o = 0; o < out; ++o) {
    const double source = align_corners ? (out > 1 ? static_cast<double>(o * (in - 1)) / static_cast<double>(out - 1) : 0.0)
                                        : std::max((static_cast<double>(o) + 0.5) / static_cast<double>(scale) - 0.5, 0.0);
    const auto below = std::min(static_cast<std::int64_t>(source), in - 1), above = std::min(below + 1, in - 1);
    const double t = source - static_cast<double>(below);
    m.values[static_cast<std::size_t>(o * in + below)] += 1.0 - t;
    m.values[static_cast<std::size_t>(o * in + above)] += t;
  }
  return m;
}

class Upsample2d final : public Layer {
 public:
  explicit Upsample2d(const Params& p) {
    const auto [sh, sw] = read_pair(p, "scale_factor", {2, 2}, 1);
    if (sh > 1024 || sw > 1024) p.fail("scale_factor", fmt::format("must be at most 1024, got [{}, {}]", sh, sw));
    const std::string mode = p.string("mode", "nearest");
    if (mode != "nearest" && mode != "bilinear") p.fail("mode", fmt::format("must be \"nearest\" or \"bilinear\", got \"{}\"", mode));
    bilinear_ = mode == "bilinear";
    if (p.has("align_corners") && !bilinear_) p.fail("align_corners", "is for mode \"bilinear\" only, as in PyTorch");
    align_corners_ = p.boolean("align_corners", false);
    p.check_unused();
    block_ = {sh, sw, sh, sw, 0, 0, 1, 1};
  }
  std::string type() const override { return "upsample2d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("upsample2d expects (channels, height, width) per sample, got {}", input.str()));
    if (input[1] > (std::int64_t{1} << 40) / block_.kernel_h || input[2] > (std::int64_t{1} << 40) / block_.kernel_w)
      throw ShapeError(fmt::format("upsample2d: input {} scaled by [{}, {}] is too large", input.str(), block_.kernel_h, block_.kernel_w));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    input_ = input;
    if (bilinear_) {
      SeparableMap::check_size("upsample2d", input, input[1] * block_.kernel_h, input[2] * block_.kernel_w);
      bilinear_map_.build(ctx.backend, dtype_, input, interpolation_matrix(input[1], block_.kernel_h, align_corners_),
                          interpolation_matrix(input[2], block_.kernel_w, align_corners_));
    }
    return Shape{input[0], input[1] * block_.kernel_h, input[2] * block_.kernel_w};
  }

  const Tensor& forward(const Tensor& x) override {
    if (bilinear_) return bilinear_map_.forward(x);
    const Shape y{x.dim(0), input_[0], input_[1] * block_.kernel_h, input_[2] * block_.kernel_w};
    ensure(y_, *backend_, y, dtype_);
    backend_->run(op::Pool2dGrad{x, Tensor(), y_, PoolKind::Average, block_});
    backend_->run(op::Axpby{y_, y_, block_size(), 0.0});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    if (bilinear_) return bilinear_map_.backward(dy);
    ensure(dx_, *backend_, input_.with_batch(dy.dim(0)), dtype_);
    backend_->run(op::Pool2d{dy, dx_, Tensor(), PoolKind::Average, block_});
    backend_->run(op::Axpby{dx_, dx_, block_size(), 0.0});
    return dx_;
  }

 private:
  double block_size() const { return static_cast<double>(block_.kernel_h * block_.kernel_w); }

  Window2d block_;  // a block of scale_factor pixels, the pooling window whose gradient spreads a pixel over it
  bool bilinear_ = false, align_corners_ = false;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape input_;
  Tensor y_, dx_;
  SeparableMap bilinear_map_;  // bilinear: the interpolation matrices' products
};

}  // namespace

NNPLUG_PLUGIN("upsample2d", "0.1.0", "layer:upsample2d", 0) {
  registrar.add_layer("upsample2d", [](const Params& p) { return std::make_unique<Upsample2d>(p); });
}
