// Layer 'upsample2d' (torch.nn.Upsample(scale_factor, mode="nearest"), Keras UpSampling2D): each pixel repeated
// into a block of scale_factor (int or [h, w], default 2) pixels; (N, C, H, W) -> (N, C, H sh, W sw). Only "nearest"
// is built: "bilinear" would need an op of its own.
//
// Nearest upsampling is average pooling's gradient over non-overlapping blocks times the block's size, and its
// gradient is the block's sum, average pooling times the size: two ops every backend runs, each way.
#include <fmt/format.h>

#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

namespace {

using namespace nnplug;

class Upsample2d final : public Layer {
 public:
  explicit Upsample2d(const Params& p) {
    const auto [sh, sw] = read_pair(p, "scale_factor", {2, 2}, 1);
    if (sh > 1024 || sw > 1024) p.fail("scale_factor", fmt::format("must be at most 1024, got [{}, {}]", sh, sw));
    const std::string mode = p.string("mode", "nearest");
    if (mode != "nearest") p.fail("mode", fmt::format("must be \"nearest\" (the only mode built), got \"{}\"", mode));
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
    return Shape{input[0], input[1] * block_.kernel_h, input[2] * block_.kernel_w};
  }

  const Tensor& forward(const Tensor& x) override {
    const Shape y{x.dim(0), input_[0], input_[1] * block_.kernel_h, input_[2] * block_.kernel_w};
    backend_->run(op::Pool2dGrad{x, Tensor(), ensure(y_, *backend_, y, dtype_), PoolKind::Average, block_});
    backend_->run(op::Axpby{y_, y_, block_size(), 0.0});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    backend_->run(op::Pool2d{dy, ensure(dx_, *backend_, input_.with_batch(dy.dim(0)), dtype_), Tensor(), PoolKind::Average, block_});
    backend_->run(op::Axpby{dx_, dx_, block_size(), 0.0});
    return dx_;
  }

 private:
  double block_size() const { return static_cast<double>(block_.kernel_h * block_.kernel_w); }

  Window2d block_;  // a block of scale_factor pixels, the pooling window whose gradient spreads a pixel over it
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape input_;
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("upsample2d", "0.1.0", "layer:upsample2d", 0) {
  registrar.add_layer("upsample2d", [](const Params& p) { return std::make_unique<Upsample2d>(p); });
}
