#pragma once
// Reading the geometry of a 2-D window from a spec: sizes are an int or [h, w]; padding is "valid" (0), "same"
// (output size = ceil(input / stride), odd effective kernels only) or an int / [h, w]. Checked at build time.
#include <string>
#include <utility>

#include <fmt/format.h>

#include "nnplug/ops.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

// The largest kernel size, stride, padding or dilation a spec may give (PyTorch's int32 limit): below it, the window
// arithmetic (dilation x (kernel - 1), the input plus twice the padding) stays far inside int64.
inline constexpr std::int64_t kLargestWindowSize = 2147483647;

// A [h, w] pair from an int or a two-element list; each in [min, kLargestWindowSize].
inline std::pair<std::int64_t, std::int64_t> read_pair(const Params& p, const std::string& key,
                                                       std::pair<std::int64_t, std::int64_t> fallback, std::int64_t min) {
  if (!p.has(key)) {
    p.accept({key.c_str()});
    return fallback;
  }
  if (p.json()[key].is_array()) {
    const auto v = p.numbers(key, {}, 2, static_cast<double>(min), static_cast<double>(kLargestWindowSize));
    if (v[0] != static_cast<double>(static_cast<std::int64_t>(v[0])) || v[1] != static_cast<double>(static_cast<std::int64_t>(v[1])))
      p.fail(key, "must hold integers");
    return {static_cast<std::int64_t>(v[0]), static_cast<std::int64_t>(v[1])};
  }
  const auto v = p.require_integer(key, min, kLargestWindowSize);
  return {v, v};
}

struct WindowSpec {
  Window2d window;
  bool same = false;  // padding "same": resolved against the input in resolve()
  std::string owner;

  static WindowSpec read(const Params& p, const std::string& size_key, std::pair<std::int64_t, std::int64_t> default_size,
                         bool stride_defaults_to_size) {
    WindowSpec s;
    s.owner = p.owner();
    const auto [kh, kw] = read_pair(p, size_key, default_size, 1);
    const auto [sh, sw] = read_pair(p, "stride", stride_defaults_to_size ? std::pair{kh, kw} : std::pair<std::int64_t, std::int64_t>{1, 1}, 1);
    const auto [dh, dw] = read_pair(p, "dilation", {1, 1}, 1);
    s.window = {kh, kw, sh, sw, 0, 0, dh, dw};
    if (p.has("padding") && p.json()["padding"].is_string()) {
      const std::string mode = p.require_string("padding");
      if (mode != "valid" && mode != "same") p.fail("padding", fmt::format("must be \"valid\", \"same\" or a number, got \"{}\"", mode));
      s.same = mode == "same";
      if (s.same && (sh != 1 || sw != 1)) p.fail("padding", "\"same\" needs stride 1 (as PyTorch)");
      if (s.same && ((dh * (kh - 1)) % 2 || (dw * (kw - 1)) % 2)) p.fail("padding", "\"same\" needs an odd effective kernel size");
      if (s.same) s.window.pad_h = dh * (kh - 1) / 2, s.window.pad_w = dw * (kw - 1) / 2;
    } else {
      const auto [ph, pw] = read_pair(p, "padding", {0, 0}, 0);
      s.window.pad_h = ph, s.window.pad_w = pw;
    }
    return s;
  }

  // The output (OH, OW) for an (H, W) input; throws ShapeError when the window does not fit.
  std::pair<std::int64_t, std::int64_t> output(const Shape& chw) const {
    const auto& g = window;
    const std::int64_t eh = g.dilation_h * (g.kernel_h - 1) + 1, ew = g.dilation_w * (g.kernel_w - 1) + 1;
    if (eh > chw[1] + 2 * g.pad_h || ew > chw[2] + 2 * g.pad_w)
      throw ShapeError(fmt::format("a window of {}x{} (kernel with dilation) is larger than the padded input {}x{}", eh, ew,
                                   chw[1] + 2 * g.pad_h, chw[2] + 2 * g.pad_w));
    return {g.out_h(chw[1]), g.out_w(chw[2])};
  }
};

}  // namespace nnplug
