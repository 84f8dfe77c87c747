// Layer 'upsample2d' (torch.nn.Upsample(scale_factor, mode), Keras UpSampling2D(size, interpolation)): (N, C, H, W)
// -> (N, C, H sh, W sw) for scale_factor (int or [h, w], default 2). mode "nearest" (the default) repeats each pixel
// into a block of scale_factor pixels; "bilinear" interpolates between the nearest four, with PyTorch's
// align_corners (false: half-pixel centres, as Keras's "bilinear"; true: the corner pixels line up).
//
// Nearest upsampling is average pooling's gradient over non-overlapping blocks, of the input times the block's size,
// and its gradient is the block's sum, average pooling times the size: two ops every backend runs, each way, and
// on the small side of the layer both times. They take images in any layout the backend offers (the CPU backend's
// channel blocks, between two convolutions), so nearest upsampling leaves its input's layout as it is.
// Bilinear upsampling is separable, Y = A_h X A_w^T for each (H, W) plane with interpolation matrices A (out, in)
// (separable_map.hpp).
//
// Built from this one source as the 'upsample1d' plugin too (NNPLUG_1D; torch.nn.Upsample on (N, C, L), Keras's
// UpSampling1D): scale_factor a number, mode "nearest" or "linear" (PyTorch's, with align_corners). A sequence
// (C, L) is the plane (C, 1, L) and a channels-last one (L, C) (Keras's, "data_format": "channels_last") the plane
// (1, L, C), scaled along the length alone, so neither is transposed.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../shared/separable_map.hpp"
#include "../shared/window_1d.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

#if defined(NNPLUG_1D)
#define NNPLUG_UPSAMPLE_NAME "upsample1d"
#define NNPLUG_INTERPOLATION "linear"
#else
#define NNPLUG_UPSAMPLE_NAME "upsample2d"
#define NNPLUG_INTERPOLATION "bilinear"
#endif

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
  explicit Upsample2d(const Params& p) : axes_(kOneD ? SequenceAxes(p) : SequenceAxes()) {
    if (kOneD && p.has("scale_factor") && p.json()["scale_factor"].is_array()) p.fail("scale_factor", "must be a number: the sequence is 1-D");
    auto [sh, sw] = read_pair(p, "scale_factor", {2, 2}, 1);
    if (sh > 1024 || sw > 1024) p.fail("scale_factor", fmt::format("must be at most 1024, got [{}, {}]", sh, sw));
    if (kOneD) (axes_.channels_last() ? sw : sh) = 1;  // the plane's axis across the length
    const std::string mode = p.string("mode", "nearest");
    if (mode != "nearest" && mode != NNPLUG_INTERPOLATION)
      p.fail("mode", fmt::format("must be \"nearest\" or \"{}\", got \"{}\"", NNPLUG_INTERPOLATION, mode));
    bilinear_ = mode == NNPLUG_INTERPOLATION;
    if (p.has("align_corners") && !bilinear_) p.fail("align_corners", fmt::format("is for mode \"{}\" only, as in PyTorch", NNPLUG_INTERPOLATION));
    align_corners_ = p.boolean("align_corners", false);
    p.check_unused();
    block_ = {sh, sw, sh, sw, 0, 0, 1, 1};
  }
  std::string type() const override { return NNPLUG_UPSAMPLE_NAME; }

  Shape build(const Shape& sample, const BuildContext& ctx) override {
    require_sample_rank(sample, type());
    const Shape input = kOneD ? (axes_.channels_last() ? Shape{1, sample[0], sample[1]} : Shape{sample[0], 1, sample[1]}) : sample;
    if (input[1] > (std::int64_t{1} << 40) / block_.kernel_h || input[2] > (std::int64_t{1} << 40) / block_.kernel_w)
      throw ShapeError(fmt::format("{}: input {} scaled by [{}, {}] is too large", type(), sample.str(), block_.kernel_h, block_.kernel_w));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    input_ = input;
    output_ = Shape{input[0], input[1] * block_.kernel_h, input[2] * block_.kernel_w};
    if (bilinear_) {
      SeparableMap::check_size(type(), input, output_[1], output_[2]);
      bilinear_map_.build(ctx.backend, dtype_, input, interpolation_matrix(input[1], block_.kernel_h, align_corners_),
                          interpolation_matrix(input[2], block_.kernel_w, align_corners_));
    }
    in_sample_ = sample;
    out_sample_ = kOneD ? axes_.sample(axes_.channels(sample), axes_.length(sample) * (axes_.channels_last() ? block_.kernel_h : block_.kernel_w))
                        : output_;
    return out_sample_;
  }

  bool takes_any_layout() const override { return !kOneD && !bilinear_; }

  // A sequence's batch runs as its planes' (views of it), and gives its output as a view of theirs.
  const Tensor& forward(const Tensor& x_sample) override {
    const Tensor x = x_sample.reshape(input_.with_batch(x_sample.dim(0)));
    if (bilinear_) return as_sample(bilinear_map_.forward(x), out_);
    backend_->run(op::Axpby{x, ensure(scaled_, *backend_, x.shape(), dtype_, x.layout()), block_size(), 0.0});
    ensure(y_, *backend_, output_.with_batch(x.dim(0)), dtype_, x.layout());
    backend_->run(op::Pool2dGrad{scaled_, Tensor(), y_, PoolKind::Average, block_});
    return as_sample(y_, out_);
  }
  const Tensor& backward(const Tensor& dy_sample, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_out_ = Tensor();
      return dx_out_;
    }
    const Tensor dy = dy_sample.reshape(output_.with_batch(dy_sample.dim(0)));
    if (bilinear_) return as_input(bilinear_map_.backward(dy), dx_out_);
    ensure(dx_, *backend_, input_.with_batch(dy.dim(0)), dtype_, dy.layout());
    backend_->run(op::Pool2d{dy, dx_, Tensor(), PoolKind::Average, block_});
    backend_->run(op::Axpby{dx_, dx_, block_size(), 0.0});
    return as_input(dx_, dx_out_);
  }

 private:
  double block_size() const { return static_cast<double>(block_.kernel_h * block_.kernel_w); }
  // Planes as the samples the layers around see: views.
  const Tensor& as_sample(const Tensor& plane, Tensor& view) const { return view = plane.reshape(out_sample_.with_batch(plane.dim(0))); }
  const Tensor& as_input(const Tensor& plane, Tensor& view) const { return view = plane.reshape(in_sample_.with_batch(plane.dim(0))); }

  Window2d block_;  // a block of scale_factor pixels, the pooling window whose gradient spreads a pixel over it
  bool bilinear_ = false, align_corners_ = false;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  SequenceAxes axes_;
  Shape input_, output_;           // the planes (C, H, W): a sequence's (C, 1, L), or (1, L, C) channels last
  Shape in_sample_, out_sample_;   // the samples as the layers around see them
  Tensor scaled_;                  // nearest: the input times the block's size
  Tensor y_, dx_, out_, dx_out_;   // the planes, and views of them as samples
  SeparableMap bilinear_map_;      // bilinear: the interpolation matrices' products
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_UPSAMPLE_NAME, "0.1.0", "layer:" NNPLUG_UPSAMPLE_NAME, 0) {
  registrar.add_layer(NNPLUG_UPSAMPLE_NAME, [](const Params& p) { return std::make_unique<Upsample2d>(p); });
}
