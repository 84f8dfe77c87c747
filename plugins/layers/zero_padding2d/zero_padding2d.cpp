// Layers 'zero_padding2d' (Keras's ZeroPadding2D, PyTorch's ZeroPad2d), 'padding2d' (PyTorch's ReflectionPad2d,
// ReplicationPad2d and circular padding, by "mode": padding_mode.hpp) and 'cropping2d' (Keras's Cropping2D), built
// from this one source as three plugins (NNPLUG_PADDING_MODES, NNPLUG_CROPPING): (C, H, W) -> (C, H + top + bottom,
// W + left + right) with a border around, or (C, H - top - bottom, W - left - right) with those rows and columns cut
// off. "padding" / "cropping" is a number (every side), [h, w] (top and bottom h, left and right w) or [[top, bottom],
// [left, right]], as Keras takes them (PyTorch's flat (left, right, top, bottom) is refused: its order is not
// Keras's). All place the input's pixels with 0/1 matrices (separable_map.hpp); the gradient takes them back.
#include <fmt/format.h>

#include <array>

#include "../shared/padding_mode.hpp"
#include "nnplug/plugin.hpp"

#if defined(NNPLUG_CROPPING)
#define NNPLUG_SIDES_NAME "cropping2d"
#define NNPLUG_SIDES_KEY "cropping"
constexpr int kDirection = -1;  // sides taken off
#elif defined(NNPLUG_PADDING_MODES)
#define NNPLUG_SIDES_NAME "padding2d"
#define NNPLUG_SIDES_KEY "padding"
constexpr int kDirection = 1;  // sides added
#else
#define NNPLUG_SIDES_NAME "zero_padding2d"
#define NNPLUG_SIDES_KEY "padding"
constexpr int kDirection = 1;  // sides added
#endif

namespace {

using namespace nnplug;

constexpr std::int64_t kLargestSide = std::int64_t{1} << 20;

// top, bottom, left, right.
std::array<std::int64_t, 4> read_sides(const Params& p) {
  if (!p.has(NNPLUG_SIDES_KEY)) p.fail(NNPLUG_SIDES_KEY, "is required");
  const Params::Json& v = p.json()[NNPLUG_SIDES_KEY];
  const auto side = [&](const Params::Json& n) {
    if (!n.is_number_integer() || n.get<std::int64_t>() < 0 || n.get<std::int64_t>() > kLargestSide)
      p.fail(NNPLUG_SIDES_KEY, fmt::format("must hold whole numbers in [0, {}], got {}", kLargestSide, Params::shortened(v.dump())));
    return n.get<std::int64_t>();
  };
  p.accept({NNPLUG_SIDES_KEY});
  if (v.is_number()) return {side(v), side(v), side(v), side(v)};
  if (v.is_array() && v.size() == 2 && v[0].is_array() && v[1].is_array() && v[0].size() == 2 && v[1].size() == 2)
    return {side(v[0][0]), side(v[0][1]), side(v[1][0]), side(v[1][1])};
  if (v.is_array() && v.size() == 2) return {side(v[0]), side(v[0]), side(v[1]), side(v[1])};
  p.fail(NNPLUG_SIDES_KEY, fmt::format("must be a number, [h, w] or [[top, bottom], [left, right]], got {}", Params::shortened(v.dump())));
}

// The (out, in) matrix that takes out's samples from `before` on (cropping).
HostMatrix cut(std::int64_t in, std::int64_t out, std::int64_t before) {
  HostMatrix m{out, in, std::vector<double>(static_cast<std::size_t>(out * in), 0.0)};
  for (std::int64_t o = 0; o < out; ++o) m.values[static_cast<std::size_t>(o * in + before + o)] = 1.0;
  return m;
}

// padding2d's "mode"; zero padding's is zeros.
PaddingMode read_mode(const Params& p) {
#if defined(NNPLUG_PADDING_MODES)
  return read_padding_mode(p, "mode");
#else
  (void)p;
  return PaddingMode::Zeros;
#endif
}

class Sides final : public SeparableMapLayer {
 public:
  explicit Sides(const Params& p) : sides_(read_sides(p)), mode_(read_mode(p)) { p.check_unused(); }
  std::string type() const override { return NNPLUG_SIDES_NAME; }

 private:
  std::array<std::int64_t, 4> sides_;  // top, bottom, left, right
  PaddingMode mode_;

  std::pair<std::int64_t, std::int64_t> output_size(const Shape& input) const override {
    const auto [top, bottom, left, right] = sides_;
    const std::int64_t out_h = input[1] + kDirection * (top + bottom), out_w = input[2] + kDirection * (left + right);
    if (out_h < 1 || out_w < 1)
      throw ShapeError(fmt::format("cropping2d: cropping [[{}, {}], [{}, {}]] leaves nothing of {}", top, bottom, left, right, input.str()));
    check_padding_fits(type(), mode_, std::max(top, bottom), input[1], "height", input);
    check_padding_fits(type(), mode_, std::max(left, right), input[2], "width", input);
    return {out_h, out_w};
  }
  HostMatrix matrix(std::int64_t in, std::int64_t out, int axis) const override {
    const std::int64_t before = sides_[axis ? 2 : 0];
    return kDirection > 0 ? padding_placement(in, before, out - in - before, mode_) : cut(in, out, before);
  }
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_SIDES_NAME, "0.1.0", "layer:" NNPLUG_SIDES_NAME, 0) {
  registrar.add_layer(NNPLUG_SIDES_NAME, [](const Params& p) { return std::make_unique<Sides>(p); });
}
