#pragma once
// Convolutions from an image in channel blocks of 16 into one filter, row-major (an image decoder's grayscale
// output, a binary segmentation mask), computed directly. oneDNN's kernels compute output channels in whole blocks
// of 16 and pad one filter to a block, so examples/fashion_autoencoder.json's last layer (16 -> 1, 3x3, 128 images of
// 28x28) took them as long as a 16 -> 16 one: 1.1 ms forward and 2.4 backward in float32, 0.6 and 1.4 in
// bfloat16, against 0.33 and 0.95 here (bench/conv_library_bench's last rows, two threads). With more filters the
// padding costs oneDNN less than it gains: at 3 this kernel was level with its float32 and slower than its bfloat16.
#include "nnplug/ops.hpp"
#include "op_checks.hpp"

namespace nnplug::cpu {

// Each returns true when it ran the op: x in channel blocks, y (or dy) row-major with one channel, dx (when asked
// for) in channel blocks; any window wider than one pixel, stride, padding and dilation. Sums run in the tensors' dtype (float32 in
// mixed precision too), each output's over its taps in a fixed order, so any thread count gives the same values but
// for the weight and bias gradients, which add one partial sum per thread.
bool one_filter_conv2d(const op::Conv2d& o, const backends::WindowShape& s);
bool one_filter_conv2d_grad(const op::Conv2dGrad& o, const backends::WindowShape& s);

}  // namespace nnplug::cpu
