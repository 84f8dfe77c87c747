// Layer 'adaptive_avg_pool2d' (PyTorch's AdaptiveAvgPool2d): (C, H, W) -> (C, OH, OW) for "output_size" (a number or
// [OH, OW]), each output the mean of its window of the input, rows start = floor(o H / OH) to end = ceil((o + 1) H /
// OH) as PyTorch places them (the windows overlap where OH does not divide H), and the columns likewise. A window
// mean is separable, the mean of its rows' means: the averaging matrices' products (separable_map.hpp).
#include <fmt/format.h>

#include <tuple>

#include "../shared/separable_map.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"

namespace {

using namespace nnplug;

// Row o of the (out, in) matrix holds 1 / (end - start) over its window [start, end).
HostMatrix window_means(std::int64_t in, std::int64_t out) {
  HostMatrix m{out, in, std::vector<double>(static_cast<std::size_t>(out * in), 0.0)};
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t start = o * in / out, end = ((o + 1) * in + out - 1) / out;
    for (std::int64_t i = start; i < end; ++i) m.values[static_cast<std::size_t>(o * in + i)] = 1.0 / static_cast<double>(end - start);
  }
  return m;
}

class AdaptiveAvgPool2d final : public Layer {
 public:
  explicit AdaptiveAvgPool2d(const Params& p) {
    if (!p.has("output_size")) p.fail("output_size", "is required");
    std::tie(out_h_, out_w_) = read_pair(p, "output_size", {1, 1}, 1);
    p.check_unused();
  }
  std::string type() const override { return "adaptive_avg_pool2d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("adaptive_avg_pool2d expects (channels, height, width) per sample, got {}", input.str()));
    SeparableMap::check_size("adaptive_avg_pool2d", input, out_h_, out_w_);
    map_.build(ctx.backend, ctx.dtype, input, window_means(input[1], out_h_), window_means(input[2], out_w_));
    return map_.output();
  }
  const Tensor& forward(const Tensor& x) override { return map_.forward(x); }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (need_input_grad) return map_.backward(dy);
    no_dx_ = Tensor();
    return no_dx_;
  }

 private:
  std::int64_t out_h_ = 1, out_w_ = 1;
  SeparableMap map_;
  Tensor no_dx_;
};

}  // namespace

NNPLUG_PLUGIN("adaptive_avg_pool2d", "0.1.0", "layer:adaptive_avg_pool2d", 0) {
  registrar.add_layer("adaptive_avg_pool2d", [](const Params& p) { return std::make_unique<AdaptiveAvgPool2d>(p); });
}
