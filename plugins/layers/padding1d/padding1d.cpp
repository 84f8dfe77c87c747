// Layer 'padding1d' (PyTorch's ReflectionPad1d, ReplicationPad1d, ZeroPad1d and circular padding; Keras's
// ZeroPadding1D with "data_format": "channels_last"): each sample's sequence padded at both ends by "padding", a
// number (both ends) or [start, end], with a border of "mode" ("zeros", the default; "reflect", "replicate",
// "circular": padding_mode.hpp). Samples are (channels, length), or (length, channels) with "data_format":
// "channels_last", as conv1d reads them. The sequence is the plane (C, 1, L) or (1, L, C) of a separable map that
// moves one axis (separable_map.hpp); the gradient adds up the border's copies.
#include <fmt/format.h>

#include <array>

#include "../shared/padding_mode.hpp"
#include "../shared/window_1d.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

constexpr std::int64_t kLargestEnd = std::int64_t{1} << 20;

// start, end.
std::array<std::int64_t, 2> read_ends(const Params& p) {
  if (!p.has("padding")) p.fail("padding", "is required");
  const Params::Json& v = p.json()["padding"];
  const auto end = [&](const Params::Json& n) {
    if (!n.is_number_integer() || n.get<std::int64_t>() < 0 || n.get<std::int64_t>() > kLargestEnd)
      p.fail("padding", fmt::format("must hold whole numbers in [0, {}], got {}", kLargestEnd, Params::shortened(v.dump())));
    return n.get<std::int64_t>();
  };
  p.accept({"padding"});
  if (v.is_number()) return {end(v), end(v)};
  if (v.is_array() && v.size() == 2) return {end(v[0]), end(v[1])};
  p.fail("padding", fmt::format("must be a number or [start, end], got {}", Params::shortened(v.dump())));
}

class Padding1d final : public Layer {
 public:
  explicit Padding1d(const Params& p) : ends_(read_ends(p)), mode_(read_padding_mode(p, "mode")), axes_(p) { p.check_unused(); }
  std::string type() const override { return "padding1d"; }

  Shape build(const Shape& sample, const BuildContext& ctx) override {
    if (sample.rank() != 2)
      throw ShapeError(fmt::format("padding1d expects {} per sample, got {}", axes_.channels_last() ? "(length, channels)" : "(channels, length)",
                                   sample.str()));
    const std::int64_t c = axes_.channels(sample), l = axes_.length(sample);
    check_padding_fits(type(), mode_, std::max(ends_[0], ends_[1]), l, "length", sample);
    const std::int64_t out = l + ends_[0] + ends_[1];
    SeparableMap::check_axis(type(), sample, l, out);  // before the matrix is built on the host
    const HostMatrix along = padding_placement(l, ends_[0], ends_[1], mode_), still = HostMatrix::identity(axes_.channels_last() ? c : 1);
    const Shape plane = axes_.channels_last() ? Shape{1, l, c} : Shape{c, 1, l};
    if (axes_.channels_last()) map_.build(ctx.backend, ctx.dtype, plane, along, still);
    else map_.build(ctx.backend, ctx.dtype, plane, still, along);
    input_ = sample;
    output_ = axes_.sample(c, out);
    return output_;
  }
  const Tensor& forward(const Tensor& x) override {
    y_ = map_.forward(x.reshape(axes_.plane(x.shape()))).reshape(output_.with_batch(x.dim(0)));
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) return dx_ = Tensor();
    dx_ = map_.backward(dy.reshape(axes_.plane(dy.shape()))).reshape(input_.with_batch(dy.dim(0)));
    return dx_;
  }

 private:
  std::array<std::int64_t, 2> ends_;  // start, end
  PaddingMode mode_;
  SequenceAxes axes_;
  SeparableMap map_;
  Shape input_, output_;
  Tensor y_, dx_;  // views of the map's buffers as the layers around see them
};

}  // namespace

NNPLUG_PLUGIN("padding1d", "0.1.0", "layer:padding1d", 0) {
  registrar.add_layer("padding1d", [](const Params& p) { return std::make_unique<Padding1d>(p); });
}
