#pragma once
// 1-D windows (conv1d and the 1-D poolings) run by the 2-D ops: a sample of (channels, length) is the plane
// (channels, 1, length) and the window is 1 x k over it, so every backend's convolution and pooling kernels (cuDNN's
// included) serve sequences without kernels of their own. The poolings also read Keras's channels-last (length,
// channels), as the plane (1, length, channels) under a k x 1 window.
#include <initializer_list>
#include <string>
#include <utility>

#include "nnplug/backend.hpp"
#include "nnplug/window_params.hpp"

namespace nnplug {

// Throws naming the first of `keys` given as a list: a 1-D layer's sizes are numbers (PyTorch's int).
inline void require_numbers(const Params& p, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (p.has(key) && p.json()[key].is_array()) p.fail(key, "must be a number: the window is 1-D");
}

// (N, a, b) as (N, b, a), into `out`, allocated once and kept from batch to batch: a channels-last sequence to the
// channels-first one a 2-D op reads, and back.
inline const Tensor& transposed_sequence(Backend& backend, DType dtype, const Tensor& t, Tensor& out) {
  backend.run(op::Permute{t, ensure(out, backend, Shape{t.dim(0), t.dim(2), t.dim(1)}, dtype), {0, 2, 1}});
  return out;
}

// Whether the source including this is being built as its 1-D layer (the 1-D plugins' CMakeLists define NNPLUG_1D).
#if defined(NNPLUG_1D)
inline constexpr bool kOneD = true;
#else
inline constexpr bool kOneD = false;
#endif

// Throws ShapeError unless a sample is what the layer reads: (channels, length) as a 1-D layer, (channels, height,
// width) as a 2-D one.
inline void require_sample_rank(const Shape& input, const std::string& layer) {
  if (input.rank() != (kOneD ? 2 : 3))
    throw ShapeError(fmt::format("{} expects {} per sample, got {}", layer, kOneD ? "(channels, length)" : "(channels, height, width)", input.str()));
}

// A window along a sequence from a spec: each size is a number (PyTorch's int; a list would name a 2-D window),
// padding "valid", "same" or a number, as WindowSpec::read takes them. The window lies along the plane's width.
inline WindowSpec read_window_1d(const Params& p, const std::string& size_key, std::int64_t default_size, bool stride_defaults_to_size) {
  require_numbers(p, {size_key.c_str(), "stride", "dilation", "padding"});
  WindowSpec s = WindowSpec::read(p, size_key, {default_size, default_size}, stride_defaults_to_size);
  s.window.kernel_h = s.window.stride_h = s.window.dilation_h = 1;
  s.window.pad_h = 0;
  return s;
}

// The output length of a window from read_window_1d over an input of `length`; throws ShapeError when it does not fit.
inline std::int64_t output_length(const WindowSpec& spec, std::int64_t length) {
  const Window2d& w = spec.window;
  const std::int64_t span = w.dilation_w * (w.kernel_w - 1) + 1;
  if (span > length + 2 * w.pad_w)
    throw ShapeError(fmt::format("a window of {} (kernel with dilation) is longer than the padded input of {}", span, length + 2 * w.pad_w));
  return w.out_w(length);
}

// Where a 1-D sample's length lies: the last axis (PyTorch's (channels, length)) or the first (Keras's
// channels-last (length, channels), read with "data_format": "channels_last").
class SequenceAxes {
 public:
  SequenceAxes() = default;  // channels first
  explicit SequenceAxes(const Params& p) {
    const std::string format = p.string("data_format", "channels_first");
    if (format != "channels_first" && format != "channels_last")
      p.fail("data_format", fmt::format("must be \"channels_first\" (channels, length) or \"channels_last\" (length, channels), got \"{}\"", format));
    channels_last_ = format == "channels_last";
  }

  bool channels_last() const { return channels_last_; }
  std::int64_t channels(const Shape& sample) const { return channels_last_ ? sample[1] : sample[0]; }
  std::int64_t length(const Shape& sample) const { return channels_last_ ? sample[0] : sample[1]; }
  // A 1-D sample of `channels` and `length` in this layout.
  Shape sample(std::int64_t channels, std::int64_t length) const { return channels_last_ ? Shape{length, channels} : Shape{channels, length}; }

  // The 2-D ops' (N, C, H, W) view of a batch (N, ...) of 1-D samples.
  Shape plane(const Shape& batch) const {
    return channels_last_ ? Shape{batch[0], 1, batch[1], batch[2]} : Shape{batch[0], batch[1], 1, batch[2]};
  }
  // A window from read_window_1d (along the plane's width) turned to lie along the length.
  Window2d along_length(Window2d w) const {
    if (channels_last_) {
      std::swap(w.kernel_h, w.kernel_w);
      std::swap(w.stride_h, w.stride_w);
      std::swap(w.pad_h, w.pad_w);
      std::swap(w.dilation_h, w.dilation_w);
    }
    return w;
  }

 private:
  bool channels_last_ = false;
};

}  // namespace nnplug
