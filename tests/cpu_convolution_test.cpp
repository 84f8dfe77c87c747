// The CPU backend's convolutions against naive loops written here: oneDNN's and im2col's paths, the one-filter
// kernel, layouts in and out, epilogues, and mixed precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

// Naive convolution in float64: y = conv(x, w) + b, and its gradients, with x (N, C, H, W) and w (F, C, K, K).
struct NaiveConv {
  int n, c, h, w, f, k;
  Window2d g;
  // A square window of k with the same stride, padding and dilation along both axes.
  static NaiveConv square(int n, int c, int h, int w, int f, int k, int stride = 1, int pad = 0, int dilation = 1) {
    NaiveConv nc{n, c, h, w, f, k, {}};
    nc.g.kernel_h = nc.g.kernel_w = k;
    nc.g.stride_h = nc.g.stride_w = stride;
    nc.g.pad_h = nc.g.pad_w = pad;
    nc.g.dilation_h = nc.g.dilation_w = dilation;
    return nc;
  }
  int oh() const { return static_cast<int>(g.out_h(h)); }
  int ow() const { return static_cast<int>(g.out_w(w)); }
  // Calls visit(x index, w index, y index) for every product the convolution sums.
  template <typename Visit>
  void each(Visit visit) const {
    for (int s = 0; s < n; ++s)
      for (int o = 0; o < f; ++o)
        for (int i = 0; i < oh(); ++i)
          for (int j = 0; j < ow(); ++j)
            for (int ch = 0; ch < c; ++ch)
              for (int a = 0; a < k; ++a)
                for (int b = 0; b < k; ++b) {
                  const auto r = i * g.stride_h - g.pad_h + a * g.dilation_h, q = j * g.stride_w - g.pad_w + b * g.dilation_w;
                  if (r < 0 || r >= h || q < 0 || q >= w) continue;
                  visit(static_cast<std::size_t>(((s * c + ch) * h + r) * w + q), static_cast<std::size_t>(((o * c + ch) * k + a) * k + b),
                        static_cast<std::size_t>(((s * f + o) * oh() + i) * ow() + j));
                }
  }
  // y = conv(x, w) + b (no bias where bv is empty) and, for the upstream gradient dy, dx, dw and db.
  struct Results {
    std::vector<double> y, dx, dw, db;
  };
  Results run(const std::vector<double>& xv, const std::vector<double>& wv, const std::vector<double>& bv,
              const std::vector<double>& dyv) const {
    Results r{std::vector<double>(dyv.size(), 0.0), std::vector<double>(xv.size(), 0.0), std::vector<double>(wv.size(), 0.0),
              std::vector<double>(static_cast<std::size_t>(f), 0.0)};
    each([&](std::size_t xi, std::size_t wi, std::size_t yi) {
      r.y[yi] += xv[xi] * wv[wi];
      r.dx[xi] += dyv[yi] * wv[wi];
      r.dw[wi] += dyv[yi] * xv[xi];
    });
    const auto plane = static_cast<std::size_t>(oh() * ow());
    for (std::size_t yi = 0; yi < r.y.size(); ++yi) {
      const std::size_t o = yi / plane % static_cast<std::size_t>(f);
      if (!bv.empty()) r.y[yi] += bv[o];
      r.db[o] += dyv[yi];
    }
    return r;
  }
};

TEST(CpuBackend, Float32ConvolutionsOfManyChannelsMatchNaiveLoops) {
  // 16 input channels: the float32 path that oneDNN runs where the build has it (im2col + Eigen otherwise).
  auto be = cpu_backend();
  for (const auto& [stride, pad, dilation, with_bias, with_dx] : std::vector<std::tuple<int, int, int, bool, bool>>{
           {1, 1, 1, true, true}, {2, 0, 1, true, true}, {1, 2, 2, false, true}, {2, 1, 1, true, false}}) {
    const NaiveConv nc = NaiveConv::square(3, 16, 9, 7, 5, 3, stride, pad, dilation);
    SCOPED_TRACE(fmt::format("stride {}, pad {}, dilation {}, bias {}, dx {}", stride, pad, dilation, with_bias, with_dx));
    const auto xv = random_normal(static_cast<std::size_t>(nc.n * nc.c * nc.h * nc.w), 5), wv = random_normal(static_cast<std::size_t>(nc.f * nc.c * 9), 6);
    const auto bv = random_normal(static_cast<std::size_t>(nc.f), 7), dyv = random_normal(static_cast<std::size_t>(nc.n * nc.f * nc.oh() * nc.ow()), 8);
    const auto [y, dx, dw, db] = nc.run(xv, wv, with_bias ? bv : std::vector<double>{}, dyv);
    const Shape xs{nc.n, nc.c, nc.h, nc.w}, ws{nc.f, nc.c, 3, 3}, ys{nc.n, nc.f, nc.oh(), nc.ow()};
    Tensor x = tensor(*be, xs, xv, DType::Float32), wt = tensor(*be, ws, wv, DType::Float32), dy = tensor(*be, ys, dyv, DType::Float32);
    Tensor b = with_bias ? tensor(*be, Shape{nc.f}, bv, DType::Float32) : Tensor();
    Tensor yt = be->empty(ys, DType::Float32), dxt = with_dx ? be->empty(xs, DType::Float32) : Tensor(), dwt = be->empty(ws, DType::Float32);
    Tensor dbt = with_bias ? be->empty(Shape{nc.f}, DType::Float32) : Tensor();
    be->run(op::Conv2d{x, wt, b, yt, nc.g});
    be->run(op::Conv2dGrad{x, wt, dy, dxt, dwt, dbt, nc.g});
    // Sums of up to 144 (forward) or a few hundred (dw) products of unit normals, in float32.
    const auto close = [](const std::vector<double>& got, const std::vector<double>& want, const char* what) {
      for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << what << " [" << i << "]";
    };
    close(to_host<double>(yt), y, "y");
    close(to_host<double>(dwt), dw, "dw");
    if (with_dx) close(to_host<double>(dxt), dx, "dx");
    if (with_bias) close(to_host<double>(dbt), db, "dbias");
  }
}

// A convolution of nc's shape with its bias (or none) and a ReLU in its output pass, forward and backward (dx when
// asked for), x and dx in `images`, y and dy in `outputs`, against naive loops. Sums of up to a few hundred products
// of unit normals: float32 keeps about 1e-6 of them.
void expect_convolution_matches_naive_loops(Backend& be, DType dtype, const NaiveConv& nc, bool with_bias, Layout images, Layout outputs,
                                            bool with_dx) {
  const Shape xs{nc.n, nc.c, nc.h, nc.w}, ws{nc.f, nc.c, nc.k, nc.k}, ys{nc.n, nc.f, nc.oh(), nc.ow()};
  const auto xv = random_normal(static_cast<std::size_t>(xs.numel()), 31), wv = random_normal(static_cast<std::size_t>(ws.numel()), 32);
  const auto bv = random_normal(static_cast<std::size_t>(nc.f), 33), dyv = random_normal(static_cast<std::size_t>(ys.numel()), 34);
  auto [y, dx, dw, db] = nc.run(xv, wv, with_bias ? bv : std::vector<double>{}, dyv);
  for (double& v : y) v = std::max(v, 0.0);  // the ReLU in the convolution's output pass
  Tensor x = be.empty(xs, dtype, images), dy = be.empty(ys, dtype, outputs);
  from_host(x, xv);
  from_host(dy, dyv);
  const Tensor w = tensor(be, ws, wv, dtype), b = with_bias ? tensor(be, Shape{nc.f}, bv, dtype) : Tensor();
  Tensor yt = be.empty(ys, dtype, outputs), dxt = with_dx ? be.empty(xs, dtype, images) : Tensor(), dwt = be.empty(ws, dtype);
  Tensor dbt = with_bias ? be.empty(Shape{nc.f}, dtype) : Tensor();
  be.run(op::Conv2d{x, w, b, yt, nc.g, Pointwise::Relu});
  be.run(op::Conv2dGrad{x, w, dy, dxt, dwt, dbt, nc.g});
  const double tolerance = dtype == DType::Float64 ? 1e-12 : 1e-5;
  const auto close = [&](const std::vector<double>& got, const std::vector<double>& want, const char* what) {
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tolerance * (1 + std::abs(want[i]))) << what << " [" << i << "]";
  };
  close(to_host<double>(yt), y, "y");
  close(to_host<double>(dwt), dw, "dw");
  if (with_dx) close(to_host<double>(dxt), dx, "dx");
  if (with_bias) close(to_host<double>(dbt), db, "dbias");
}

// A first layer: 1 to 3 row-major input channels into 32 channels in blocks of 16 (oneDNN's direct kernels in
// float32), forward with its bias and ReLU and the weight and bias gradients, for windows with stride, padding and
// dilation, in float64 and float32, and in mixed precision, which computes these in float32.
TEST(CpuBackend, FewChannelConvolutionsIntoChannelBlocksMatchNaiveLoops) {
  for (const auto& [name, be] : cpu_backends_in_both_precisions())
    for (const DType dtype : {DType::Float64, DType::Float32})
      for (const auto& [channels, kernel, stride, pad, dilation, with_bias] : std::vector<std::tuple<int, int, int, int, int, bool>>{
               {1, 3, 1, 0, 1, true}, {1, 3, 1, 1, 1, false}, {3, 3, 2, 1, 1, true}, {3, 5, 1, 2, 2, true}, {2, 3, 2, 0, 1, false}}) {
        SCOPED_TRACE(fmt::format("{}, {}, {} channels, kernel {}, stride {}, pad {}, dilation {}, bias {}", name, dtype_name(dtype), channels,
                                 kernel, stride, pad, dilation, with_bias));
        expect_convolution_matches_naive_loops(*be, dtype, NaiveConv::square(3, channels, 11, 9, 32, kernel, stride, pad, dilation), with_bias,
                                               Layout::RowMajor, Layout::ChannelBlocks16, false);
      }
}

// A last layer: 16 or 32 input channels in blocks of 16 into one row-major filter (computed directly, not padded to
// a block of filters as oneDNN does, but for a 1x1 window), and into three (oneDNN's), forward with its bias and
// ReLU, and dx (in blocks), dw and dbias, for windows with stride, padding and dilation, in float64 and float32, and
// in mixed precision, which computes one filter's in float32.
TEST(CpuBackend, FewFilterConvolutionsFromChannelBlocksMatchNaiveLoops) {
  const auto backends = cpu_backends_in_both_precisions();
  for (const auto& [name, be] : backends)
    for (const DType dtype : {DType::Float64, DType::Float32})
      for (const auto& [channels, filters, kernel, stride, pad, dilation, with_bias] : std::vector<std::tuple<int, int, int, int, int, int, bool>>{
               {16, 1, 3, 1, 1, 1, true}, {32, 1, 3, 2, 1, 1, false}, {16, 1, 5, 1, 2, 2, true}, {32, 1, 1, 1, 0, 1, true}, {16, 1, 3, 2, 0, 1, true},
               {32, 3, 3, 2, 1, 1, true}}) {
        // Three filters, or a 1x1 window, run on oneDNN: in bfloat16 in mixed precision (BfloatConvolutions... below).
        if ((filters > 1 || kernel == 1) && be != backends.front().second) continue;
        SCOPED_TRACE(fmt::format("{}, {}, {} channels into {}, kernel {}, stride {}, pad {}, dilation {}, bias {}", name, dtype_name(dtype), channels,
                                 filters, kernel, stride, pad, dilation, with_bias));
        expect_convolution_matches_naive_loops(*be, dtype, NaiveConv::square(3, channels, 11, 9, filters, kernel, stride, pad, dilation),
                                               with_bias, Layout::ChannelBlocks16, Layout::RowMajor, true);
      }
}

// dw, the weight gradient of nc's convolution of x for the upstream gradient dy, against naive loops.
void expect_weight_gradient(const NaiveConv& nc, const Tensor& dw, const std::vector<double>& x, const std::vector<double>& dy) {
  std::vector<double> want(static_cast<std::size_t>(nc.f * nc.c * nc.k * nc.k), 0.0);
  nc.each([&](std::size_t xi, std::size_t wi, std::size_t yi) { want[wi] += dy[yi] * x[xi]; });
  const auto got = to_host<double>(dw);
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << "[" << i << "]";
}

// A convolution's weight gradient reads its input as the input is now (row-major images, which oneDNN reorders):
// - two layers of one shape share the backend's convolution plan and the copies it reorders into: forward on x1,
//   forward on x2, then the gradients of x1 and of x2;
// - a transposed convolution's backward runs a convolution's forward on its output's gradient, and at the next step
//   the weight gradient's convolution on that same tensor, which holds the new step's values by then: forward on x1,
//   x1 overwritten, then its gradient, which must not read the forward's reordered copy of the old values.
TEST(CpuBackend, AConvolutionGradientReadsItsInputAsItIsNow) {
  auto be = cpu_backend();
  const NaiveConv nc = NaiveConv::square(2, 16, 6, 6, 16, 3, 1, 1);
  const Shape xs{nc.n, nc.c, nc.h, nc.w}, ws{nc.f, nc.c, 3, 3}, ys{nc.n, nc.f, nc.oh(), nc.ow()};
  const auto x1v = random_normal(static_cast<std::size_t>(xs.numel()), 11), x2v = random_normal(static_cast<std::size_t>(xs.numel()), 12);
  const auto wv = random_normal(static_cast<std::size_t>(ws.numel()), 13), dyv = random_normal(static_cast<std::size_t>(ys.numel()), 14);
  Tensor x1 = tensor(*be, xs, x1v, DType::Float32), x2 = tensor(*be, xs, x2v, DType::Float32), w = tensor(*be, ws, wv, DType::Float32);
  Tensor dy = tensor(*be, ys, dyv, DType::Float32), y = be->empty(ys, DType::Float32), dw = be->empty(ws, DType::Float32);
  {
    SCOPED_TRACE("another layer of the shape ran since");
    be->run(op::Conv2d{x1, w, Tensor(), y, nc.g});
    be->run(op::Conv2d{x2, w, Tensor(), y, nc.g});
    be->run(op::Conv2dGrad{x1, w, dy, Tensor(), dw, Tensor(), nc.g});
    expect_weight_gradient(nc, dw, x1v, dyv);
    be->run(op::Conv2dGrad{x2, w, dy, Tensor(), dw, Tensor(), nc.g});
    expect_weight_gradient(nc, dw, x2v, dyv);
  }
  SCOPED_TRACE("the input changed since its forward");
  be->run(op::Conv2d{x1, w, Tensor(), y, nc.g});
  from_host(x1, x2v);
  be->run(op::Conv2dGrad{x1, w, dy, Tensor(), dw, Tensor(), nc.g});
  expect_weight_gradient(nc, dw, x2v, dyv);
}

// Mixed precision rounds a convolution's inputs to bfloat16 and accumulates in float32, but for the weight gradient
// of a strided 3x3 convolution, which oneDNN computes faster in float32 (onednn_convolution.cpp).
TEST(CpuBackend, BfloatConvolutionsRoundTheirInputsAndAccumulateInFloat32) {
  std::string why;
  const auto be = bfloat16_backend(why);
  if (!be) GTEST_SKIP() << why;
  for (const int stride : {1, 2}) {
    SCOPED_TRACE(fmt::format("stride {}", stride));
    const NaiveConv nc = NaiveConv::square(4, 32, 10, 10, 16, 3, stride, 1);
    const auto xv = random_normal(static_cast<std::size_t>(nc.n * nc.c * nc.h * nc.w), 9), wv = random_normal(static_cast<std::size_t>(nc.f * nc.c * 9), 10);
    const auto dyv = random_normal(static_cast<std::size_t>(nc.n * nc.f * nc.oh() * nc.ow()), 11);
    const auto [y, dx, dw, db] = nc.run(xv, wv, {}, dyv);
    const Shape xs{nc.n, nc.c, nc.h, nc.w}, ws{nc.f, nc.c, 3, 3}, ys{nc.n, nc.f, nc.oh(), nc.ow()};
    Tensor x = tensor(*be, xs, xv, DType::Float32), w = tensor(*be, ws, wv, DType::Float32), dy = tensor(*be, ys, dyv, DType::Float32);
    Tensor yt = be->empty(ys, DType::Float32), dxt = be->empty(xs, DType::Float32), dwt = be->empty(ws, DType::Float32);
    be->run(op::Conv2d{x, w, Tensor(), yt, nc.g});
    be->run(op::Conv2dGrad{x, w, dy, dxt, dwt, Tensor(), nc.g});
    // Inputs rounded to bfloat16 (8 significant bits: relative error up to 2^-9 each) and products summed in float32:
    // the result is off by about 2^-9 relative, far more than float32's 2^-24 and far less than bfloat16 sums' would be.
    for (const auto& [what, got, want] : {std::tuple{"y", to_host<double>(yt), y}, {"dx", to_host<double>(dxt), dx}, {"dw", to_host<double>(dwt), dw}}) {
      const double error = relative_rms(got, want);
      if (stride == 2 && std::string(what) == "dw") {
        EXPECT_LT(error, 1e-6) << what << ": not computed in float32";
        continue;
      }
      EXPECT_LT(error, 4e-3) << what;
      EXPECT_GT(error, 1e-5) << what << ": not computed in bfloat16";
    }
  }
}

// The convolution's epilogue, y = f(conv(x, w) + bias), against naive loops: one input channel (im2col, the
// function applied to each group's block of output), 16 (oneDNN in float32: ReLU and leaky ReLU as its post-op,
// tanh after it), float64 (im2col), and mixed precision.
TEST(CpuBackend, ConvolutionEpilogueAppliesTheFunctionAfterTheBias) {
  const auto backends = cpu_backends_in_both_precisions();
  const std::vector<std::tuple<const char*, Pointwise, double, double (*)(double)>> functions{
      {"relu", Pointwise::Relu, kFunctionDefault, [](double z) { return std::max(z, 0.0); }},
      {"leaky relu 0.25", Pointwise::LeakyRelu, 0.25, [](double z) { return z > 0 ? z : 0.25 * z; }},
      {"leaky relu, its default slope", Pointwise::LeakyRelu, kFunctionDefault, [](double z) { return z > 0 ? z : 0.01 * z; }},
      {"tanh", Pointwise::Tanh, kFunctionDefault, [](double z) { return std::tanh(z); }}};
  for (const auto& [name, be] : backends)
    for (const int channels : {1, 16})
      for (const DType dtype : {DType::Float32, DType::Float64})
        for (const bool with_bias : {true, false}) {
          const NaiveConv nc = NaiveConv::square(2, channels, 7, 6, 5, 3, 1, 1);
          const auto xv = random_normal(static_cast<std::size_t>(nc.n * nc.c * nc.h * nc.w), 21);
          const auto wv = random_normal(static_cast<std::size_t>(nc.f * nc.c * 9), 22), bv = random_normal(static_cast<std::size_t>(nc.f), 23);
          std::vector<double> z(static_cast<std::size_t>(nc.n * nc.f * nc.oh() * nc.ow()), 0.0);
          nc.each([&](std::size_t xi, std::size_t wi, std::size_t yi) { z[yi] += xv[xi] * wv[wi]; });
          const std::size_t plane = static_cast<std::size_t>(nc.oh() * nc.ow());
          for (std::size_t i = 0; with_bias && i < z.size(); ++i) z[i] += bv[i / plane % static_cast<std::size_t>(nc.f)];
          ASSERT_GT(std::count_if(z.begin(), z.end(), [](double v) { return v < 0; }), 0) << "no value below zero";
          const Shape xs{nc.n, nc.c, nc.h, nc.w}, ws{nc.f, nc.c, 3, 3}, ys{nc.n, nc.f, nc.oh(), nc.ow()};
          const Tensor x = tensor(*be, xs, xv, dtype), w = tensor(*be, ws, wv, dtype);
          const Tensor b = with_bias ? tensor(*be, Shape{nc.f}, bv, dtype) : Tensor();
          for (const auto& [what, fn, alpha, f] : functions) {
            SCOPED_TRACE(fmt::format("{}, {} channels, {}, bias {}, {}", name, channels, dtype_name(dtype), with_bias, what));
            Tensor y = be->empty(ys, dtype);
            be->run(op::Conv2d{x, w, b, y, nc.g, fn, alpha});
            std::vector<double> want(z.size());
            std::transform(z.begin(), z.end(), want.begin(), f);
            const auto got = to_host<double>(y);
            // bfloat16 inputs: z is off by about 2^-9 relative, and each function here moves values by at most as much.
            const bool rounded = name != "cpu" && dtype == DType::Float32 && channels >= 8;
            if (rounded) {
              double error = 0, norm = 0;
              for (std::size_t i = 0; i < want.size(); ++i) error += (got[i] - want[i]) * (got[i] - want[i]), norm += z[i] * z[i];
              EXPECT_LT(std::sqrt(error / norm), 4e-3);
            } else
              for (std::size_t i = 0; i < want.size(); ++i)
                ASSERT_NEAR(got[i], want[i], (dtype == DType::Float64 ? 1e-12 : 1e-5) * (1 + std::abs(want[i]))) << "[" << i << "]";
          }
        }
}

}  // namespace
}  // namespace nnplug::test
