#pragma once
// One output cell of the layer adaptive_max_pool2d (adaptive_max_pool2d.cpp), and one plane's gradient. Plain
// arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernels (adaptive_max_planes.cu) as
// g++ into the CPU ones.
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::layers {

// planes (N C) of in_h x in_w pooled to out_h x out_w, the windows placed as PyTorch places them: rows
// floor(o H / OH) to ceil((o + 1) H / OH), the columns likewise (overlapping where OH does not divide H).
struct AdaptiveWindows {
  std::int64_t planes, in_h, in_w, out_h, out_w;
  NNPLUG_HOST_DEVICE std::int64_t start(std::int64_t o, std::int64_t in, std::int64_t out) const { return o * in / out; }
  NNPLUG_HOST_DEVICE std::int64_t end(std::int64_t o, std::int64_t in, std::int64_t out) const { return ((o + 1) * in + out - 1) / out; }
  // Where in its plane the first largest value of cell (oh, ow) lies (a NaN wins, as in PyTorch).
  template <typename T>
  NNPLUG_HOST_DEVICE std::int64_t argmax(const T* plane, std::int64_t oh, std::int64_t ow) const {
    std::int64_t best = start(oh, in_h, out_h) * in_w + start(ow, in_w, out_w);
    for (std::int64_t h = start(oh, in_h, out_h); h < end(oh, in_h, out_h); ++h)
      for (std::int64_t w = start(ow, in_w, out_w); w < end(ow, in_w, out_w); ++w) {
        const T v = plane[h * in_w + w], b = plane[best];
        if (v > b || (v != v && b == b)) best = h * in_w + w;
      }
    return best;
  }
};

// Output cell i (plane, oh, ow) of the batch.
template <typename T>
NNPLUG_HOST_DEVICE void adaptive_max_cell(const AdaptiveWindows& w, const T* x, T* y, std::int64_t i) {
  const std::int64_t cells = w.out_h * w.out_w, plane = i / cells, oh = i % cells / w.out_w, ow = i % w.out_w;
  const T* in = x + plane * w.in_h * w.in_w;
  y[i] = in[w.argmax(in, oh, ow)];
}

// Plane p's input gradient: zeros, then each cell's gradient added at its argmax. One plane a thread: overlapping
// windows add to the same input within the plane, never across planes.
template <typename T>
NNPLUG_HOST_DEVICE void adaptive_max_plane_gradient(const AdaptiveWindows& w, const T* x, const T* dy, T* dx, std::int64_t p) {
  const std::int64_t size = w.in_h * w.in_w, cells = w.out_h * w.out_w;
  const T* in = x + p * size;
  T* d = dx + p * size;
  for (std::int64_t k = 0; k < size; ++k) d[k] = T(0);
  for (std::int64_t c = 0; c < cells; ++c) d[w.argmax(in, c / w.out_w, c % w.out_w)] += dy[p * cells + c];
}

}  // namespace nnplug::layers
