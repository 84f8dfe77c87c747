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

class AdaptiveAvgPool2d final : public SeparableMapLayer {
 public:
  explicit AdaptiveAvgPool2d(const Params& p) {
    if (!p.has("output_size")) p.fail("output_size", "is required");
    std::tie(out_h_, out_w_) = read_pair(p, "output_size", {1, 1}, 1);
    p.check_unused();
  }
  std::string type() const override { return "adaptive_avg_pool2d"; }

 private:
  std::int64_t out_h_ = 1, out_w_ = 1;

  std::pair<std::int64_t, std::int64_t> output_size(const Shape&) const override { return {out_h_, out_w_}; }
  HostMatrix matrix(std::int64_t in, std::int64_t out, int) const override { return window_means(in, out); }
};

}  // namespace

NNPLUG_PLUGIN("adaptive_avg_pool2d", "0.1.0", "layer:adaptive_avg_pool2d", 0) {
  registrar.add_layer("adaptive_avg_pool2d", [](const Params& p) { return std::make_unique<AdaptiveAvgPool2d>(p); });
}
