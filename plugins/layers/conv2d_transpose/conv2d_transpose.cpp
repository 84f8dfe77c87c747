// Layer 'conv2d_transpose' (torch.nn.ConvTranspose2d, Keras Conv2DTranspose): the gradient of a convolution with
// respect to its input, used as a layer that grows its input (decoders, autoencoders, GANs). filters (required),
// kernel_size (required; int or [h, w]), stride 1, padding 0 / int / [h, w] / "valid" / "same", output_padding 0
// (below the stride), dilation 1, groups 1, bias true, weight_init (he_normal) and bias_init (zeros); in_channels is
// optional and checked when given. The output is (H - 1) stride - 2 padding + dilation (kernel - 1) +
// output_padding + 1, as PyTorch's; "same" makes it H stride, with PyTorch's usual choice padding = ceil((dilation
// (kernel - 1) + 1 - stride) / 2) and the output_padding that completes it (kernel 3, stride 2: padding 1,
// output_padding 1). The weight is [C, filters / groups, kh, kw] as PyTorch stores it, and fan_in = filters /
// groups kh kw, fan_out = C kh kw as PyTorch counts them.
//
// Every pass is a convolution op the backends already run (im2col, oneDNN, cuDNN): the forward is op::Conv2dGrad's
// dx of the convolution (filters -> C) this layer transposes, the input gradient that convolution's forward and
// the weight gradient its dw, with the roles of input and output exchanged. Images come and go in the layout the
// backend computes convolutions in (the CPU backend's channel blocks), as conv2d's do.
//
// Built from this one source as the 'conv1d_transpose' plugin too (NNPLUG_1D; torch.nn.ConvTranspose1d, Keras's
// Conv1DTranspose): samples (C, L), sizes numbers, the weight [C, filters / groups, k]; it runs as the transposed
// convolution of the plane (C, 1, L). "data_format": "channels_last" reads and gives Keras's (L, C), transposed on
// the way in and out, as conv1d does.
#include <fmt/format.h>

#include "../shared/window_1d.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

#if defined(NNPLUG_1D)
#define NNPLUG_CONV_NAME "conv1d_transpose"
#else
#define NNPLUG_CONV_NAME "conv2d_transpose"
#endif

namespace {

using namespace nnplug;

// The most pixels along an axis, and the most weights, this layer takes: any spec's sizes multiply in 128 bits
// below it without overflowing.
constexpr __int128 kLargest = static_cast<__int128>(1) << 40;

// An image batch's memory as rows of one sample each, whatever its layout: channel blocks keep each sample's values
// together (N, C/16, H, W, 16), so a row vector laid out in the same blocks adds to every sample, and the rows' sum
// is one sample in those blocks.
Tensor sample_rows(const Tensor& t) {
  return Tensor(t.buffer(), t.dtype(), Shape{t.dim(0), t.numel() / t.dim(0)}, t.offset(), Layout::RowMajor);
}

// PyTorch's output extent of a transposed convolution along one axis, or 0 where it is not positive or too large
// to hold.
std::int64_t transposed_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad, std::int64_t dilation,
                               std::int64_t output_padding) {
  const __int128 out = static_cast<__int128>(in - 1) * stride - 2 * static_cast<__int128>(pad) +
                       static_cast<__int128>(dilation) * (kernel - 1) + output_padding + 1;
  return out >= 1 && out <= kLargest ? static_cast<std::int64_t>(out) : 0;
}

class Conv2dTransposeLayer final : public Layer {
 public:
  explicit Conv2dTransposeLayer(const Params& p)
      : filters_(p.require_integer("filters", 1)),
        in_channels_(p.integer("in_channels", 0, 1)),
        groups_(p.integer("groups", 1, 1)),
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.child("weight_init", "he_normal")),
        bias_init_(p.child("bias_init", "zeros")),
        axes_(kOneD ? SequenceAxes(p) : SequenceAxes()) {
    if (!p.has("kernel_size")) p.fail("kernel_size", "is required");
    if constexpr (kOneD) require_numbers(p, {"kernel_size", "stride", "dilation", "padding", "output_padding"});
    const auto [kh, kw] = read_pair(p, "kernel_size", {1, 1}, 1);
    const auto [sh, sw] = read_pair(p, "stride", {1, 1}, 1);
    const auto [dh, dw] = read_pair(p, "dilation", {1, 1}, 1);
    window_ = {kh, kw, sh, sw, 0, 0, dh, dw};
    const bool named = p.has("padding") && p.json()["padding"].is_string();
    const std::string mode = named ? p.require_string("padding") : "";
    if (named && mode != "valid" && mode != "same") p.fail("padding", fmt::format("must be \"valid\", \"same\" or a number, got \"{}\"", mode));
    if (mode == "same") {
      if (p.has("output_padding")) p.fail("output_padding", "is set by padding \"same\"");
      same_axis(p, kh, sh, dh, window_.pad_h, output_padding_h_);
      same_axis(p, kw, sw, dw, window_.pad_w, output_padding_w_);
    } else {
      if (!named) std::tie(window_.pad_h, window_.pad_w) = read_pair(p, "padding", {0, 0}, 0);
      std::tie(output_padding_h_, output_padding_w_) = read_pair(p, "output_padding", {0, 0}, 0);
      if (output_padding_h_ >= sh || output_padding_w_ >= sw)
        p.fail("output_padding", fmt::format("must be below the stride [{}, {}], got [{}, {}]", sh, sw, output_padding_h_, output_padding_w_));
    }
    if (filters_ % groups_) p.fail("groups", fmt::format("must divide filters ({}), got {}", filters_, groups_));
    if constexpr (kOneD) {  // the numbers were read for both axes: the plane's height is 1
      window_.kernel_h = window_.stride_h = window_.dilation_h = 1;
      window_.pad_h = output_padding_h_ = 0;
    }
    p.check_unused();
  }
  std::string type() const override { return NNPLUG_CONV_NAME; }

  Shape build(const Shape& sample, const BuildContext& ctx) override {
    require_sample_rank(sample, type());
    const Shape input = kOneD ? Shape{axes_.channels(sample), 1, axes_.length(sample)} : sample;  // the plane, channels first
    if (in_channels_ && input[0] != in_channels_)
      throw ShapeError(fmt::format("{} expects {} input channels (in_channels), got {}", type(), in_channels_, sample.str()));
    if (input[0] % groups_)
      throw ShapeError(fmt::format("{}: groups {} does not divide the input's {} channels (input {})", type(), groups_, input[0], sample.str()));
    const auto& g = window_;
    const std::int64_t oh = transposed_extent(input[1], g.kernel_h, g.stride_h, g.pad_h, g.dilation_h, output_padding_h_),
                       ow = transposed_extent(input[2], g.kernel_w, g.stride_w, g.pad_w, g.dilation_w, output_padding_w_);
    if (!oh || !ow) {
      const auto sizes = [&](std::int64_t h, std::int64_t w) { return kOneD ? fmt::format("{}", w) : fmt::format("[{}, {}]", h, w); };
      throw ShapeError(fmt::format("{}: the window (kernel {}, stride {}, padding {}) leaves no output, or one too large to hold, for input {}",
                                   type(), sizes(g.kernel_h, g.kernel_w), sizes(g.stride_h, g.stride_w), sizes(g.pad_h, g.pad_w), sample.str()));
    }
    if (static_cast<__int128>(input[0]) * (filters_ / groups_) * g.kernel_h * g.kernel_w > kLargest)
      throw ShapeError(fmt::format("{}: a weight of [{}, {}, {}, {}] is too large", type(), input[0], filters_ / groups_, g.kernel_h, g.kernel_w));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const std::int64_t fan_in = filters_ / groups_ * g.kernel_h * g.kernel_w, fan_out = input[0] * g.kernel_h * g.kernel_w;
    kernel_shape_ = Shape{input[0], filters_ / groups_, g.kernel_h, g.kernel_w};
    const Shape w = kOneD ? Shape{input[0], filters_ / groups_, g.kernel_w} : kernel_shape_;
    weight_ = {"weight", ctx.backend.empty(w, dtype_), ctx.backend.empty(w, dtype_), true, weight_init_, fan_in, fan_out};
    if (use_bias_) {
      bias_ = {"bias", ctx.backend.empty({filters_}, dtype_), ctx.backend.empty({filters_}, dtype_), true, bias_init_, fan_in, fan_out};
      ones_ = ctx.backend.empty({oh * ow}, dtype_);
      ctx.backend.run(op::Fill{ones_, 1.0});
      bias_plane_ = ctx.backend.empty({filters_ * oh * ow}, dtype_);
    }
    output_ = Shape{filters_, oh, ow};
    return kOneD ? axes_.sample(filters_, ow) : output_;
  }
  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  // Sequences stay row-major: their (C, L) views of the planes need it.
  bool takes_any_layout() const override { return !kOneD; }

  const Tensor& forward(const Tensor& x) override {
    const Tensor& channels_first = channels_last() ? transposed(x, x_channels_first_) : x;
    x_ = kOneD ? channels_first.reshape(SequenceAxes().plane(channels_first.shape())) : x;
    const Shape y = output_.with_batch(x.dim(0));
    ensure(y_, *backend_, y, dtype_, kOneD ? Layout::RowMajor : backend_->convolution_layout(x_.shape(), y, dtype_));
    // y is the transposed convolution's input gradient; it names itself as that convolution's input, whose shape
    // alone is read when dw is not asked for.
    backend_->run(op::Conv2dGrad{y_, weight_.value.reshape(kernel_shape_), x_, y_, Tensor(), Tensor(), window_, groups_});
    if (use_bias_) {
      // bias[f] on every pixel of plane f: the plane bias x ones, in y's layout, then added to each sample's values.
      const std::int64_t pixels = ones_.numel();
      backend_->run(op::Gemm{.a = bias_.value.reshape({filters_, 1}), .b = ones_.reshape({1, pixels}), .c = bias_plane_.reshape({filters_, pixels})});
      const Tensor rows = sample_rows(y_);
      if (y_.row_major()) {
        backend_->run(op::AddRowVector{rows, bias_plane_, rows});
      } else {
        backend_->run(op::Copy{bias_plane_.reshape(output_.with_batch(1)), plane_in(y_.layout())});
        backend_->run(op::AddRowVector{rows, sample_rows(bias_plane_in_layout_), rows});
      }
    }
    out_ = kOneD ? y_.reshape(Shape{x.dim(0), filters_, output_[2]}) : y_;
    if (channels_last()) out_ = transposed(out_, y_channels_last_);
    return out_;
  }
  const Tensor& backward(const Tensor& dy_out, bool need_input_grad) override {
    const Tensor dy = (channels_last() ? transposed(dy_out, dy_channels_first_) : dy_out).reshape(y_.shape());
    if (use_bias_) {
      const std::int64_t pixels = ones_.numel();
      if (dy.row_major()) {
        backend_->run(op::SumRows{sample_rows(dy), bias_plane_});
      } else {
        backend_->run(op::SumRows{sample_rows(dy), sample_rows(plane_in(dy.layout()))});
        backend_->run(op::Copy{bias_plane_in_layout_, bias_plane_.reshape(output_.with_batch(1))});
      }
      backend_->run(op::Gemm{.a = bias_plane_.reshape({filters_, pixels}), .b = ones_.reshape({pixels, 1}), .c = bias_.grad.reshape({filters_, 1})});
    }
    backend_->run(
        op::Conv2dGrad{dy, weight_.value.reshape(kernel_shape_), x_, Tensor(), weight_.grad.reshape(kernel_shape_), Tensor(), window_, groups_});
    gradients_written();
    if (!need_input_grad) {
      dx_out_ = Tensor();
      return dx_out_;
    }
    backend_->run(op::Conv2d{dy, weight_.value.reshape(kernel_shape_), Tensor(), ensure(dx_, *backend_, x_.shape(), dtype_, x_.layout()),
                             window_, Pointwise::Identity, kFunctionDefault, groups_});
    dx_out_ = kOneD ? dx_.reshape(Shape{dx_.dim(0), dx_.dim(1), dx_.dim(3)}) : dx_;
    if (channels_last()) dx_out_ = transposed(dx_out_, dx_channels_last_);
    return dx_out_;
  }

 private:
  // padding "same" along one axis: the output is the input times the stride.
  static void same_axis(const Params& p, std::int64_t kernel, std::int64_t stride, std::int64_t dilation, std::int64_t& pad,
                        std::int64_t& output_padding) {
    const __int128 span = static_cast<__int128>(dilation) * (kernel - 1) + 1;  // the effective kernel
    if (span > kLargest) p.fail("kernel_size", "spans too many pixels with its dilation");
    const std::int64_t overlap = static_cast<std::int64_t>(span) - stride;  // the effective kernel beyond the stride
    if (overlap < 0) p.fail("padding", fmt::format("\"same\" needs a kernel (with dilation) of at least the stride {}", stride));
    pad = (overlap + 1) / 2;
    output_padding = 2 * pad - overlap;
    if (output_padding >= stride)
      p.fail("padding", "\"same\" with stride 1 needs an odd effective kernel size (or give padding and output_padding)");
  }

  std::int64_t filters_;
  std::int64_t in_channels_;
  std::int64_t groups_;
  bool use_bias_;
  Params weight_init_, bias_init_;
  Window2d window_;
  std::int64_t output_padding_h_ = 0, output_padding_w_ = 0;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, kernel_shape_;  // as the 2-D ops see them: a sequence's are planes (C, 1, L) and 1 x k kernels
  Parameter weight_, bias_;
  Tensor ones_, bias_plane_;  // the bias's helpers: ones over a plane, and the bias spread over every plane
  Tensor bias_plane_in_layout_;  // bias_plane_ in the images' layout, where that is not row-major
  Tensor x_, y_, dx_;         // as the 2-D ops see them
  Tensor out_, dx_out_;       // y and dx as the layers around see them: views of y_ and dx_, or their transposes
  SequenceAxes axes_;
  Tensor x_channels_first_, y_channels_last_, dy_channels_first_, dx_channels_last_;  // channels-last sequences' transposes

  bool channels_last() const { return kOneD && axes_.channels_last(); }
  // A plane of the bias's, one sample (1, F, OH, OW), in the layout of the images (channel blocks).
  Tensor& plane_in(Layout layout) { return ensure(bias_plane_in_layout_, *backend_, output_.with_batch(1), dtype_, layout); }
  const Tensor& transposed(const Tensor& t, Tensor& out) const { return transposed_sequence(*backend_, dtype_, t, out); }
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_CONV_NAME, "0.1.0", "layer:" NNPLUG_CONV_NAME, 0) {
  registrar.add_layer(NNPLUG_CONV_NAME, [](const Params& p) { return std::make_unique<Conv2dTransposeLayer>(p); });
}
