// Layers 'pixel_shuffle' and 'pixel_unshuffle' (torch.nn.PixelShuffle and PixelUnshuffle; TensorFlow's depth_to_space
// and space_to_depth on NCHW): pixel_shuffle moves r² channels into an r x r block of pixels, (C r², H, W) to
// (C, H r, W r), so that a convolution at low resolution upsamples by r ("sub-pixel convolution", Shi et al. 2016,
// ESPCN); pixel_unshuffle is its inverse, (C, H r, W r) to (C r², H, W). `upscale_factor` and `downscale_factor`, r,
// are required, at most 1024 (upsample2d's bound). Both are one reorder of six axes, (N, C, r, r, H, W) against (N, C, H, r, W, r), the gradient the
// other way.
#include <array>
#include <cstdint>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

using Order = std::array<std::int8_t, Shape::kMaxRank>;
// (N, C, r, r, H, W) -> (N, C, H, r, W, r), and back.
constexpr Order kBlocksToPixels{0, 1, 4, 2, 5, 3};
constexpr Order kPixelsToBlocks{0, 1, 3, 5, 2, 4};

class PixelShuffle final : public Layer {
 public:
  PixelShuffle(bool shuffle, std::int64_t factor) : shuffle_(shuffle), r_(factor) {}
  std::string type() const override { return shuffle_ ? "pixel_shuffle" : "pixel_unshuffle"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3)
      throw ShapeError(fmt::format("{} takes images (C, H, W), got {}", type(), input.str()));
    const std::int64_t c = input[0], h = input[1], w = input[2], r2 = r_ * r_;
    if (shuffle_ && c % r2 != 0)
      throw ShapeError(fmt::format("pixel_shuffle: {} channels do not divide into blocks of upscale_factor² = {} (input {})", c, r2, input.str()));
    if (!shuffle_ && (h % r_ != 0 || w % r_ != 0))
      throw ShapeError(fmt::format("pixel_unshuffle: a {} x {} image does not divide into {} x {} blocks (input {})", h, w, r_, r_, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    // The six-axis views: the blocks as channels (C', r, r, H', W') and as pixels (C', H', r, W', r).
    const std::int64_t channels = shuffle_ ? c / r2 : c, height = shuffle_ ? h : h / r_, width = shuffle_ ? w : w / r_;
    blocks_ = Shape{channels, r_, r_, height, width};
    pixels_ = Shape{channels, height, r_, width, r_};
    input_ = input;
    output_ = shuffle_ ? Shape{channels, height * r_, width * r_} : Shape{channels * r2, height, width};
    (void)output_.numel();  // refuses a count past 64 bits
    return output_;
  }
  const Tensor& forward(const Tensor& x) override {
    const std::int64_t n = x.dim(0);
    ensure(y_, *backend_, output_.with_batch(n), dtype_);
    reorder(x, y_, shuffle_, n);
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    const std::int64_t n = dy.dim(0);
    ensure(dx_, *backend_, input_.with_batch(n), dtype_);
    reorder(dy, dx_, !shuffle_, n);
    return dx_;
  }

 private:
  // Blocks to pixels (the shuffle's forward pass, the unshuffle's backward) or pixels to blocks.
  void reorder(const Tensor& from, const Tensor& to, bool to_pixels, std::int64_t n) const {
    const Shape& source = to_pixels ? blocks_ : pixels_;
    const Shape& target = to_pixels ? pixels_ : blocks_;
    backend_->run(op::Permute{from.reshape(source.with_batch(n)), to.reshape(target.with_batch(n)), to_pixels ? kBlocksToPixels : kPixelsToBlocks});
  }

  bool shuffle_;
  std::int64_t r_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape blocks_, pixels_, input_, output_;
  Tensor y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("pixel_shuffle", "0.1.0", "layer:pixel_shuffle layer:pixel_unshuffle", 0) {
  registrar.add_layer("pixel_shuffle", [](const Params& p) {
    const std::int64_t r = p.require_integer("upscale_factor", 1, 1024);
    p.check_unused();
    return std::make_unique<PixelShuffle>(true, r);
  });
  registrar.add_layer("pixel_unshuffle", [](const Params& p) {
    const std::int64_t r = p.require_integer("downscale_factor", 1, 1024);
    p.check_unused();
    return std::make_unique<PixelShuffle>(false, r);
  });
}
