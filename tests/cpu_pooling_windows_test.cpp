// The cpu backend's row-major pooling against a naive scan of each window, for the windows its loops tell apart:
// windows inside the input that overlap, leave gaps, tile it exactly (upsampling's blocks) or leave rows and columns
// over; 1-D and global windows; and padded or dilated ones (the general loop). Max pooling's values, argmax and
// gradient (with and without a ReLU before it) and average pooling's values and gradient, in both dtypes, on enough
// planes that the kernels run threaded.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

struct Case {
  Window2d g;
  std::int64_t h, w;
};

Window2d window(std::int64_t kh, std::int64_t kw, std::int64_t sh, std::int64_t sw, std::int64_t pad = 0, std::int64_t dilation = 1) {
  Window2d g;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw, g.pad_h = g.pad_w = pad, g.dilation_h = g.dilation_w = dilation;
  return g;
}

const std::vector<Case> kCases{
    {window(2, 2, 2, 2), 7, 9},     // rows and columns over
    {window(3, 3, 1, 1), 6, 6},     // overlapping
    {window(3, 3, 2, 2), 9, 9},     // overlapping
    {window(2, 2, 3, 3), 8, 8},     // gaps between the windows
    {window(3, 3, 3, 3), 9, 12},    // tiling exactly
    {window(2, 3, 2, 3), 4, 30},    // tiling exactly, wider than a vector
    {window(1, 2, 1, 2), 1, 28},    // max_pool1d
    {window(1, 14, 1, 1), 1, 14},   // global_max_pool1d
    {window(7, 7, 1, 1), 7, 7},     // global_avg_pool2d: one output a plane
    {window(3, 2, 4, 4), 4, 5},     // one output a plane, rows and columns over
    {window(3, 3, 2, 2, 1), 7, 7},  // padded: the general loop
    {window(2, 2, 1, 1, 0, 2), 6, 6},  // dilated: the general loop
};

struct Reference {
  std::vector<double> y, dx;
  std::vector<std::int32_t> arg;
};

// Every window's taps in row-major order: the first maximum wins, an average divides by the whole window (PyTorch's
// count_include_pad), and a window wholly in the padding gives -inf and no winner.
Reference naive_pool(const std::vector<double>& x, const std::vector<double>& dy, std::int64_t planes, const Case& c, bool max, bool relu) {
  const Window2d& g = c.g;
  const std::int64_t oh = g.out_h(c.h), ow = g.out_w(c.w);
  Reference r{std::vector<double>(static_cast<std::size_t>(planes * oh * ow)), std::vector<double>(x.size(), 0.0),
              std::vector<std::int32_t>(static_cast<std::size_t>(planes * oh * ow), -1)};
  const double area = static_cast<double>(g.kernel_h * g.kernel_w);
  for (std::int64_t p = 0; p < planes; ++p)
    for (std::int64_t oi = 0; oi < oh; ++oi)
      for (std::int64_t oj = 0; oj < ow; ++oj) {
        const auto out = static_cast<std::size_t>((p * oh + oi) * ow + oj);
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        std::vector<std::int64_t> taps;
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
          for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
            const std::int64_t i = oi * g.stride_h - g.pad_h + ki * g.dilation_h, j = oj * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (i < 0 || i >= c.h || j < 0 || j >= c.w) continue;
            const double v = x[static_cast<std::size_t>(p * c.h * c.w + i * c.w + j)];
            taps.push_back(i * c.w + j);
            sum += v;
            if (r.arg[out] < 0 || v > best) best = v, r.arg[out] = static_cast<std::int32_t>(i * c.w + j);
          }
        r.y[out] = max ? best : sum / area;
        if (max) {
          if (r.arg[out] >= 0 && (!relu || best > 0)) r.dx[static_cast<std::size_t>(p * c.h * c.w + r.arg[out])] += dy[out];
        } else {
          for (const std::int64_t at : taps) r.dx[static_cast<std::size_t>(p * c.h * c.w + at)] += dy[out] / area;
        }
      }
  return r;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tolerance, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tolerance * (1 + std::abs(want[i]))) << what << " [" << i << "]";
}

TEST(CpuPooling, EveryKindOfWindowMatchesANaiveScan) {
  const auto be = cpu_backend();
  const std::int64_t planes = 500;
  for (const Case& c : kCases)
    for (DType dtype : {DType::Float32, DType::Float64})
      for (const bool max : {true, false})
        for (const bool relu : max ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
          const Window2d& g = c.g;
          SCOPED_TRACE(fmt::format("{} {} pooling, window {}x{} stride {}x{} pad {} dilation {} on {}x{}{}", dtype_name(dtype), max ? "max" : "average",
                                   g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.dilation_h, c.h, c.w, relu ? ", through a relu" : ""));
          const std::int64_t oh = g.out_h(c.h), ow = g.out_w(c.w);
          // Max pooling reads values from {0, 1, 2, 3}, for ties (a ReLU's: {0, 0, 1, 2}, windows of zeros among them).
          std::vector<double> xv = random_normal(static_cast<std::size_t>(planes * c.h * c.w), 5);
          if (max)
            for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = relu ? std::max(static_cast<double>((i * 7919 + i / 5) % 4) - 1.0, 0.0) : static_cast<double>((i * 7919 + i / 5) % 4);
          const Tensor x = tensor(*be, Shape{planes, 1, c.h, c.w}, xv, dtype);
          Tensor y = be->empty(Shape{planes, 1, oh, ow}, dtype), arg = be->empty(Shape{planes, 1, oh, ow}, DType::Int32);
          be->run(op::Pool2d{x, y, max ? arg : Tensor(), max ? PoolKind::Max : PoolKind::Average, g});
          const Tensor dy = tensor(*be, y.shape(), random_normal(static_cast<std::size_t>(planes * oh * ow), 21), dtype);
          Tensor dx = be->empty(x.shape(), dtype);
          be->run(op::Fill{dx, std::nan("")});  // a cell the kernel forgets to write shows
          be->run(op::Pool2dGrad{dy, max ? arg : Tensor(), dx, max ? PoolKind::Max : PoolKind::Average, g,
                                 relu ? Pointwise::Relu : Pointwise::Identity, relu ? y : Tensor()});
          const Reference want = naive_pool(to_host<double>(x), to_host<double>(dy), planes, c, max, relu);
          const double tolerance = dtype == DType::Float32 ? 1e-6 : 1e-14;
          if (max) {
            ASSERT_EQ(to_host<double>(y), want.y);
            const auto got_arg = to_host<double>(arg);
            for (std::size_t i = 0; i < got_arg.size(); ++i) ASSERT_EQ(got_arg[i], want.arg[i]) << "argmax [" << i << "]";
          } else {
            expect_near(to_host<double>(y), want.y, tolerance, "y");
          }
          expect_near(to_host<double>(dx), want.dx, tolerance, "dx");
        }
}

}  // namespace
}  // namespace nnplug::test
