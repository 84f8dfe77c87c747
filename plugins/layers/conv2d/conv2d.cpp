// Layer 'conv2d' (torch.nn.Conv2d): filters (required), kernel_size (required; int or [h, w]), stride 1, padding
// "valid" / "same" / int, dilation 1, groups 1, bias true, weight_init (he_normal; fan_in = C / groups kh kw, fan_out =
// filters kh kw, as PyTorch counts them) and bias_init (zeros). groups splits the channels as PyTorch's groups=
// (groups = C: depthwise). in_channels is optional: the input's channel count is taken from the layer below, and
// checked when given. Input and output are NCHW; the weight is [filters, C / groups, kh, kw] as PyTorch stores it.
// padding_mode ("zeros"; "reflect", "replicate", "circular": PyTorch's, padding_mode.hpp) fills the padding: any but
// zeros pads the input with a separable map first, then convolves without padding, as PyTorch does.
//
// Built from this one source as the 'conv1d' plugin too (NNPLUG_1D; torch.nn.Conv1d): samples (C, L), sizes
// numbers, the weight [filters, C / groups, k]; it runs as the 2-D convolution of the plane (C, 1, L). With
// "data_format": "channels_last" (Keras's Conv1D) samples are (L, C), as an embedding or a recurrent layer gives them:
// they are transposed to (C, L) on the way in and the output back to (L', filters) on the way out.
#include <fmt/format.h>

#include <optional>

#include "../shared/padding_mode.hpp"
#include "../shared/window_1d.hpp"
#include "nnplug/fused_relu.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

#if defined(NNPLUG_1D)
#define NNPLUG_CONV_NAME "conv1d"
#else
#define NNPLUG_CONV_NAME "conv2d"
#endif

namespace {

using namespace nnplug;

class Conv2dLayer final : public Layer {
 public:
  explicit Conv2dLayer(const Params& p)
      : filters_(p.require_integer("filters", 1)),
        spec_(kOneD ? read_window_1d(p, "kernel_size", 0, false) : WindowSpec::read(p, "kernel_size", {0, 0}, false)),
        in_channels_(p.integer("in_channels", 0, 1)),
        groups_(p.integer("groups", 1, 1)),
        padding_mode_(read_padding_mode(p, "padding_mode")),
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.child("weight_init", "he_normal")),
        bias_init_(p.child("bias_init", "zeros")),
        axes_(kOneD ? SequenceAxes(p) : SequenceAxes()) {
    if (!p.has("kernel_size")) p.fail("kernel_size", "is required");
    if (filters_ % groups_) p.fail("groups", fmt::format("must divide filters ({}), got {}", filters_, groups_));
    p.check_unused();
  }
  std::string type() const override { return NNPLUG_CONV_NAME; }

  Shape build(const Shape& sample, const BuildContext& ctx) override {
    require_sample_rank(sample, type());
    const Shape input = kOneD ? Shape{axes_.channels(sample), axes_.length(sample)} : sample;  // channels first
    if (in_channels_ && input[0] != in_channels_)
      throw ShapeError(fmt::format("{} expects {} input channels (in_channels), got {}", type(), in_channels_, sample.str()));
    if (input[0] % groups_)
      throw ShapeError(fmt::format("{}: groups {} does not divide the input's {} channels (input {})", type(), groups_, input[0], sample.str()));
    const auto [oh, ow] = kOneD ? std::pair<std::int64_t, std::int64_t>{1, output_length(spec_, input[1])} : spec_.output(input);
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const auto& g = spec_.window;
    const std::int64_t c = input[0] / groups_, fan_in = c * g.kernel_h * g.kernel_w, fan_out = filters_ * g.kernel_h * g.kernel_w;
    kernel_shape_ = Shape{filters_, c, g.kernel_h, g.kernel_w};
    const Shape w = kOneD ? Shape{filters_, c, g.kernel_w} : kernel_shape_;
    weight_ = {"weight", ctx.backend.empty(w, dtype_), ctx.backend.empty(w, dtype_), true, weight_init_, fan_in, fan_out};
    if (use_bias_)
      bias_ = {"bias", ctx.backend.empty({filters_}, dtype_), ctx.backend.empty({filters_}, dtype_), true, bias_init_, fan_in, fan_out};
    output_ = Shape{filters_, oh, ow};
    build_border(kOneD ? Shape{input[0], 1, input[1]} : input, sample);
    return kOneD ? axes_.sample(filters_, ow) : output_;
  }
  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  // A ReLU after this layer runs in the convolution's output pass.
  bool fuse_activation(const Activation& next) override { return relu_.take(next); }
  void leave_activation_gradient_to_next() override { relu_.leave_gradient_to_next(); }

  // The output in the layout the backend computes convolutions in (channel blocks on the CPU backend with
  // oneDNN), which the next convolution reads without reordering it; the input in any layout the backend offers.
  // Sequences stay row-major: their (C, L) views of the planes need it.
  // A padded border's map reads row-major planes.
  bool takes_any_layout() const override { return !kOneD && !border_; }

  const Tensor& forward(const Tensor& x) override {
    const Tensor& channels_first = channels_last() ? transposed(x, x_channels_first_) : x;
    x_ = kOneD ? channels_first.reshape(SequenceAxes().plane(channels_first.shape())) : x;
    const Shape y = output_.with_batch(x.dim(0));
    convolved_ = border_ ? border_->forward(x_) : x_;
    ensure(y_, *backend_, y, dtype_, kOneD ? Layout::RowMajor : backend_->convolution_layout(convolved_.shape(), y, dtype_));
    backend_->run(op::Conv2d{convolved_, weight_.value.reshape(kernel_shape_), use_bias_ ? bias_.value : Tensor(), y_, window_, relu_.epilogue(),
                             kFunctionDefault, groups_});
    out_ = kOneD ? y_.reshape(Shape{y[0], y[1], y[3]}) : y_;
    if (channels_last()) out_ = transposed(out_, y_channels_last_);
    return out_;
  }
  const Tensor& backward(const Tensor& dy_out, bool need_input_grad) override {
    Tensor dconvolved;  // the gradient of the convolution's input: of the padded input where there is a border
    if (need_input_grad) dconvolved = ensure(border_ ? dpadded_ : dx_, *backend_, convolved_.shape(), dtype_, convolved_.layout());
    const Tensor before_relu = relu_.gradient_before(out_, dy_out);
    const Tensor dy = (channels_last() ? transposed(before_relu, dy_channels_first_) : before_relu).reshape(y_.shape());
    backend_->run(op::Conv2dGrad{convolved_, weight_.value.reshape(kernel_shape_), dy, dconvolved, weight_.grad.reshape(kernel_shape_),
                                 use_bias_ ? bias_.grad : Tensor(), window_, groups_});
    dx_ = border_ && need_input_grad ? border_->backward(dconvolved) : dconvolved;
    dx_out_ = kOneD && dx_.defined() ? dx_.reshape(Shape{dx_.dim(0), dx_.dim(1), dx_.dim(3)}) : dx_;
    if (channels_last() && dx_.defined()) dx_out_ = transposed(dx_out_, dx_channels_last_);
    return dx_out_;
  }

 private:
  std::int64_t filters_;
  WindowSpec spec_;
  std::int64_t in_channels_;
  std::int64_t groups_;
  PaddingMode padding_mode_;
  bool use_bias_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape output_, kernel_shape_;  // as the 2-D op sees them: sequences' are planes (C, 1, L) and 1 x k kernels
  Parameter weight_, bias_;
  FusedRelu relu_;
  Tensor x_, y_, dx_;    // as the 2-D op sees them
  std::optional<SeparableMap> border_;  // pads the input by padding_mode, where it pads and not with zeros
  Window2d window_;                     // the convolution's window: without padding where border_ pads
  Tensor convolved_, dpadded_;          // the convolution's input (x_ or x_ padded), the padded input's gradient
  Tensor out_, dx_out_;  // y and dx as the layers around see them: views of y_ and dx_, or their transposes
  SequenceAxes axes_;
  Tensor x_channels_first_, y_channels_last_, dy_channels_first_, dx_channels_last_;  // channels-last sequences' transposes

  bool channels_last() const { return kOneD && axes_.channels_last(); }
  // The plane (C, H, W) the convolution reads: a padding mode other than zeros pads it by a map of its own. `sample`
  // is the input as the layer below gives it, for messages.
  void build_border(const Shape& plane, const Shape& sample) {
    window_ = spec_.window;
    border_.reset();
    if (padding_mode_ == PaddingMode::Zeros || (window_.pad_h == 0 && window_.pad_w == 0)) return;
    check_padding_fits(type(), padding_mode_, window_.pad_h, plane[1], "height", sample);
    check_padding_fits(type(), padding_mode_, window_.pad_w, plane[2], kOneD ? "length" : "width", sample);
    const std::int64_t out_h = plane[1] + 2 * window_.pad_h, out_w = plane[2] + 2 * window_.pad_w;
    SeparableMap::check_size(type(), plane, out_h, out_w);
    border_.emplace();
    border_->build(*backend_, dtype_, plane, padding_placement(plane[1], window_.pad_h, window_.pad_h, padding_mode_),
                   padding_placement(plane[2], window_.pad_w, window_.pad_w, padding_mode_));
    window_.pad_h = window_.pad_w = 0;
  }
  const Tensor& transposed(const Tensor& t, Tensor& out) const { return transposed_sequence(*backend_, dtype_, t, out); }
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_CONV_NAME, "0.1.0", "layer:" NNPLUG_CONV_NAME, 0) {
  registrar.add_layer(NNPLUG_CONV_NAME, [](const Params& p) { return std::make_unique<Conv2dLayer>(p); });
}
