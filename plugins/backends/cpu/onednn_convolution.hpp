#pragma once
// Float32 convolutions on oneDNN's direct kernels (Debian libdnnl 2.6), for the shapes where they beat im2col +
// Eigen: bench/conv_library_bench measured them 1.5 to 1.7 times faster on every X11 and quick-CNN convolution
// with 32 or more input channels, reorders to and from NCHW included, and slower on the first layers (one input
// channel) unless their output is in channel blocks. Tensors in either layout are read and written in place where
// the primitive computes in it; primitives and the copies they need otherwise are made once per shape and kept.
#include "nnplug/ops.hpp"
#include "op_checks.hpp"

namespace nnplug::cpu {

// Each returns true when it ran the op, false when the op is left to im2col + Eigen (float64, a shape where
// oneDNN is slower, or a build without oneDNN).
// s is the op's shape, as the checks found it. With bfloat16, the inputs a convolution of 8 or more input channels
// reads (x and w, dy) are rounded to bfloat16 and the products accumulated in float32, but for the weight gradient
// of a strided convolution, which is faster in float32; what it writes (y, dx, dw, dbias) stays float32.
bool onednn_conv2d(const op::Conv2d& o, const backends::WindowShape& s, bool bfloat16);
bool onednn_conv2d_grad(const op::Conv2dGrad& o, const backends::WindowShape& s, bool bfloat16);

// Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX), and oneDNN is in the build.
bool onednn_has_bfloat16();

}  // namespace nnplug::cpu
