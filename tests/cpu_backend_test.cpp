// The cpu backend's ops against naive loops written here, in float64 and float32.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "nnplug/framework/model.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// Naive c = op(a) op(b) with a: (ra, ca), b: (rb, cb), row-major.
std::vector<double> naive_gemm(const std::vector<double>& a, int ra, int ca, bool ta, const std::vector<double>& b, int rb,
                               int cb, bool tb) {
  const int m = ta ? ca : ra, k = ta ? ra : ca, n = tb ? rb : cb;
  std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      for (int p = 0; p < k; ++p)
        c[static_cast<std::size_t>(i * n + j)] += (ta ? a[static_cast<std::size_t>(p * ca + i)] : a[static_cast<std::size_t>(i * ca + p)]) *
                                                  (tb ? b[static_cast<std::size_t>(j * cb + p)] : b[static_cast<std::size_t>(p * cb + j)]);
  return c;
}

class GemmTest : public ::testing::TestWithParam<std::tuple<bool, bool, DType>> {};

TEST_P(GemmTest, MatchesNaiveProductWithAlphaAndBeta) {
  const auto [ta, tb, dtype] = GetParam();
  auto be = cpu_backend();
  const int m = 37, k = 53, n = 29;
  const auto av = random_normal(static_cast<std::size_t>(m * k), 1), bv = random_normal(static_cast<std::size_t>(k * n), 2);
  const auto cv = random_normal(static_cast<std::size_t>(m * n), 3);
  Tensor a = tensor(*be, ta ? Shape{k, m} : Shape{m, k}, av, dtype);
  Tensor b = tensor(*be, tb ? Shape{n, k} : Shape{k, n}, bv, dtype);
  Tensor c = tensor(*be, Shape{m, n}, cv, dtype);
  be->run(op::Gemm{.a = a, .b = b, .c = c, .trans_a = ta, .trans_b = tb, .alpha = 0.5, .beta = 2.0});
  const auto expect = naive_gemm(av, ta ? k : m, ta ? m : k, ta, bv, tb ? n : k, tb ? k : n, tb);
  const auto got = to_host<double>(c);
  // float32 accumulates 53 products of unit normals: ~1e-6 relative per term.
  const double tol = dtype == DType::Float32 ? 1e-4 : 1e-12;
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], 0.5 * expect[i] + 2.0 * cv[i], tol) << i;
}

INSTANTIATE_TEST_SUITE_P(AllTranspositions, GemmTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(DType::Float32, DType::Float64)));

// The GEMM's epilogue, c = f(alpha a b + beta c + bias), on a product worked out by hand: a b = [[-1, 4], [-2, 2]],
// and with the bias [0.5, -3], z = [[-0.5, 1], [-1.5, -1]]. Small integers and halves: exact in bfloat16 too, so
// the float32 product (oneDNN, the epilogue in its output pass), float64 (Eigen, the epilogue after it) and mixed
// precision must all give these values exactly. Tanh is not fused anywhere: it runs after the product.
TEST(CpuBackend, GemmEpilogueAddsTheBiasThenAppliesTheFunction) {
  struct Case {
    const char* what;
    double alpha, beta;
    bool bias;
    Pointwise fn;
    double fn_alpha;
    std::vector<double> expected;
  };
  const std::vector<Case> cases{
      {"bias", 1, 0, true, Pointwise::Identity, kFunctionDefault, {-0.5, 1, -1.5, -1}},
      {"bias and relu", 1, 0, true, Pointwise::Relu, kFunctionDefault, {0, 1, 0, 0}},
      {"relu without bias", 1, 0, false, Pointwise::Relu, kFunctionDefault, {0, 4, 0, 2}},
      {"leaky relu 0.25", 1, 0, true, Pointwise::LeakyRelu, 0.25, {-0.125, 1, -0.375, -0.25}},
      {"leaky relu, its default slope", 1, 0, true, Pointwise::LeakyRelu, kFunctionDefault, {-0.005, 1, -0.015, -0.01}},
      {"beta 1 over c = 1", 1, 1, true, Pointwise::Relu, kFunctionDefault, {0.5, 2, 0, 0}},
      {"alpha 2: the bias is not scaled", 2, 0, true, Pointwise::Relu, kFunctionDefault, {0, 5, 0, 1}},
      {"tanh", 1, 0, true, Pointwise::Tanh, kFunctionDefault, {std::tanh(-0.5), std::tanh(1.0), std::tanh(-1.5), std::tanh(-1.0)}},
  };
  const auto backends = cpu_backends_in_both_precisions();
  for (const auto& [name, be] : backends)
    for (const DType dtype : {DType::Float32, DType::Float64}) {
      const Tensor a = tensor(*be, Shape{2, 3}, {1, 0, 2, -1, 3, 1}, dtype), b = tensor(*be, Shape{3, 2}, {1, 2, 0, 1, -1, 1}, dtype);
      const Tensor bias = tensor(*be, Shape{2}, {0.5, -3}, dtype);
      for (const Case& c : cases) {
        const Tensor out = tensor(*be, Shape{2, 2}, {1, 1, 1, 1}, dtype);
        be->run(op::Gemm{.a = a, .b = b, .c = out, .alpha = c.alpha, .beta = c.beta, .bias = c.bias ? bias : Tensor(),
                         .epilogue = c.fn, .epilogue_alpha = c.fn_alpha});
        const auto got = to_host<double>(out);
        const double tol = dtype == DType::Float64 ? 1e-15 : 1e-6;
        for (std::size_t i = 0; i < got.size(); ++i)
          EXPECT_NEAR(got[i], c.expected[i], tol) << name << ", " << dtype_name(dtype) << ", " << c.what << ", element " << i;
      }
    }
  // A bias that does not fit the columns is refused, naming both.
  const auto be = cpu_backend();
  const Tensor a = be->empty(Shape{2, 3}, DType::Float32), b = be->empty(Shape{3, 2}, DType::Float32), c = be->empty(Shape{2, 2}, DType::Float32);
  try {
    be->run(op::Gemm{.a = a, .b = b, .c = c, .bias = be->empty(Shape{3}, DType::Float32)});
    FAIL() << "a bias of 3 for 2 columns was accepted";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("bias"), std::string::npos) << e.what();
  }
}

// The conformance kit bounds mixed precision's error from above; this checks that the CPU backend's products do
// round their inputs (a float32 product would be within 1e-6 of float64 here).
TEST(CpuBackend, BfloatGemmsRoundTheirInputs) {
  std::string why;
  const auto be = bfloat16_backend(why);
  if (!be) GTEST_SKIP() << why;
  const int m = 33, k = 70, n = 17;
  const auto av = random_normal(static_cast<std::size_t>(m * k), 12), bv = random_normal(static_cast<std::size_t>(n * k), 13);
  Tensor a = tensor(*be, Shape{m, k}, av, DType::Float32), b = tensor(*be, Shape{n, k}, bv, DType::Float32), ct = be->empty(Shape{m, n}, DType::Float32);
  be->run(op::Gemm{.a = a, .b = b, .c = ct, .trans_b = true});
  EXPECT_GT(relative_rms(to_host<double>(ct), naive_gemm(av, m, k, false, bv, n, k, true)), 1e-4) << "not computed in bfloat16";
}

// How a mixed-precision product rounds its inputs: to the nearest bfloat16 (8 significant bits, so next to 1 the
// neighbours are 2^-7 apart), ties to the even neighbour, NaN kept; with the input as stored and transposed. C = A x 1
// shows each rounded value exactly.
TEST(CpuBackend, BfloatGemmsRoundToNearestTiesToEven) {
  std::string why;
  const auto be = bfloat16_backend(why);
  if (!be) GTEST_SKIP() << why;
  const double e = std::ldexp(1.0, -7), nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> pattern{1 + 0.75 * e, 1 + 0.5 * e, 1 + 1.5 * e, -(1 + 0.75 * e), nan};
  const std::vector<double> pattern_want{1 + e, 1, 1 + 2 * e, -(1 + e), nan};  // truncation would give 1, 1, 1 + e, -1
  // Eight times over, each time scaled, so that 32 values are rounded by a vector instruction and the rest one by one.
  std::vector<double> values, want;
  for (int r = 0; r < 8; ++r)
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      values.push_back(std::ldexp(pattern[i], r));
      want.push_back(std::ldexp(pattern_want[i], r));
    }
  const std::int64_t m = static_cast<std::int64_t>(values.size());
  Tensor one = tensor(*be, Shape{1, 1}, {1.0}, DType::Float32), c = be->empty(Shape{m, 1}, DType::Float32);
  for (const bool transposed : {false, true}) {
    Tensor a = tensor(*be, transposed ? Shape{1, m} : Shape{m, 1}, values, DType::Float32);
    be->run(op::Gemm{.a = a, .b = one, .c = c, .trans_a = transposed});
    const auto got = to_host<double>(c);
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << "transposed " << transposed;
      else EXPECT_EQ(got[i], want[i]) << "value " << values[i] << ", transposed " << transposed;
    }
  }
}

// The nearest bfloat16 to x (8 significant bits, ties to even), for values well inside float's range.
double nearest_bfloat16(double x) {
  int e = 0;
  const double f = std::frexp(x, &e);  // x = f 2^e, 0.5 <= |f| < 1
  return std::ldexp(std::nearbyint(std::ldexp(f, 8)), e - 8);
}

// A mixed-precision backend keeps a product's inputs rounded from one product to the next while they do not change
// (cpu_buffer.hpp). Here every way of changing them comes between two products of A x 1 (which show A's rounded
// values exactly): an upload, ops writing A or a part of it, a product or a batch norm writing it, an Adam step on
// it, an activation's gradient into it, a write in place, and writes through data() at any time after. A copy kept
// too long shows the old values.
TEST(CpuBackend, BfloatGemmsReadTheirInputsAsTheyAreNow) {
  std::string why;
  const auto be = bfloat16_backend(why);
  if (!be) GTEST_SKIP() << why;
  const std::int64_t m = 6;
  Tensor a = tensor(*be, Shape{m, 1}, {1, 2, 3, 4, 5, 6}, DType::Float32), one = tensor(*be, Shape{1, 1}, {1.0}, DType::Float32);
  Tensor c = be->empty(Shape{m, 1}, DType::Float32);
  const auto product_shows = [&](const std::vector<double>& want, const std::string& after) {
    be->run(op::Gemm{.a = a, .b = one, .c = c});
    EXPECT_EQ(to_host<double>(c), want) << "after " << after;
  };
  product_shows({1, 2, 3, 4, 5, 6}, "the first upload");
  product_shows({1, 2, 3, 4, 5, 6}, "nothing");
  from_host(a, std::vector<float>{7, 8, 9, 10, 11, 12});
  product_shows({7, 8, 9, 10, 11, 12}, "an upload");
  be->run(op::Fill{.out = a, .value = 5});
  product_shows({5, 5, 5, 5, 5, 5}, "a fill");
  be->run(op::Fill{.out = a.rows(2, 4), .value = -1});
  product_shows({5, 5, -1, -1, 5, 5}, "a fill of rows 2 and 3");
  Tensor b = tensor(*be, Shape{m, 1}, {2, 4, 6, 8, 10, 12}, DType::Float32);
  be->run(op::Gemm{.a = b, .b = one, .c = a});
  product_shows({2, 4, 6, 8, 10, 12}, "a product into it");
  const auto scalar = [&](double value) { return tensor(*be, Shape{1}, {value}, DType::Float32); };
  be->run(op::BatchNorm{.x = b, .gamma = scalar(1.5), .beta = scalar(0.25), .y = a, .mean = scalar(0), .invstd = scalar(0),
                        .running_mean = scalar(0), .running_var = scalar(1)});
  std::vector<double> normalised = to_host<double>(a);
  for (double& v : normalised) v = nearest_bfloat16(v);
  product_shows(normalised, "a batch norm into it");

  // Adam's first step moves every value by lr against its gradient's sign: 2 - 0.3 is not a bfloat16.
  Tensor grad = tensor(*be, Shape{m, 1}, {1, -1, 1, -1, 1, -1}, DType::Float32);
  Tensor moment = tensor(*be, Shape{m, 1}, std::vector<double>(m, 0.0), DType::Float32), second = tensor(*be, Shape{m, 1}, std::vector<double>(m, 0.0), DType::Float32);
  be->run(op::AdamStep{.param = a, .grad = grad, .m = moment, .v = second, .v_max = Tensor(), .lr = 0.3});
  std::vector<double> stepped = to_host<double>(a);
  for (double& v : stepped) v = nearest_bfloat16(v);
  EXPECT_NE(stepped[0], 2 - 0.3) << "the step must land between bfloat16 values";
  product_shows(stepped, "an Adam step");

  // A ReLU's gradient into it: dy where x > 0, else 0; 1.3 and 2.7 are not bfloat16 values.
  const Tensor relu_x = tensor(*be, Shape{m, 1}, {1, -1, 2, -2, 3, 0}, DType::Float32);
  const Tensor relu_dy = tensor(*be, Shape{m, 1}, {1.3, 5, 2.7, 5, -1.3, 5}, DType::Float32);
  be->run(op::ActivationGrad{.x = relu_x, .y = relu_x, .dy = relu_dy, .dx = a, .fn = Pointwise::Relu});
  product_shows({nearest_bfloat16(1.3), 0, nearest_bfloat16(2.7), 0, nearest_bfloat16(-1.3), 0}, "a ReLU's gradient into it");

  auto* in_place = static_cast<float*>(be->write_in_place(a));
  std::copy_n(std::vector<float>{3, 1, 4, 1, 5, 9}.begin(), m, in_place);
  product_shows({3, 1, 4, 1, 5, 9}, "a write in place");
  float* address = a.data<float>();
  address[0] = 100;
  product_shows({100, 1, 4, 1, 5, 9}, "a write through data()");
  address[5] = -100;
  product_shows({100, 1, 4, 1, 5, -100}, "a second write through the same address");
}

// The same for a convolution's input and its output's gradient, in channel blocks: a 1x1 convolution whose weights
// are the identity shows them rounded to bfloat16 exactly (one product by 1 per output), its forward x and its
// data gradient dy. A batch norm or a dropout writes the copy of its output (a batch norm's of its input gradient)
// as it writes it; after a function that runs after the batch norm's pass (tanh), the copy holds its values.
TEST(CpuBackend, BfloatConvolutionsReadTheirInputsAsTheyAreNow) {
  std::string why;
  const auto be = bfloat16_backend(why);
  if (!be) GTEST_SKIP() << why;
  const std::int64_t c = 16;
  const Shape image{2, c, 5, 5}, channels{c};
  Window2d g;
  std::vector<double> identity(static_cast<std::size_t>(c * c), 0.0);
  for (std::int64_t i = 0; i < c; ++i) identity[static_cast<std::size_t>(i * c + i)] = 1;
  const Tensor w = tensor(*be, Shape{c, c, 1, 1}, identity, DType::Float32);
  Tensor dw = be->empty(w.shape(), DType::Float32);
  const auto blocked = [&](std::uint64_t seed) {
    Tensor t = be->empty(image, DType::Float32, Layout::ChannelBlocks16);
    from_host(t, random_normal(static_cast<std::size_t>(image.numel()), seed));
    return t;
  };
  Tensor t = blocked(41), y = blocked(42), dx = blocked(43), source = blocked(44), dy = blocked(45);
  const auto convolutions_show = [&](const std::string& after) {
    std::vector<double> want = to_host<double>(t);
    for (double& v : want) v = nearest_bfloat16(v);
    be->run(op::Conv2d{t, w, Tensor(), y, g});
    EXPECT_EQ(to_host<double>(y), want) << "the forward after " << after;
    be->run(op::Conv2dGrad{source, w, t, dx, dw, Tensor(), g});
    EXPECT_EQ(to_host<double>(dx), want) << "the data gradient after " << after;
  };
  convolutions_show("an upload");
  convolutions_show("nothing");
  const auto per_channel = [&](double value) { return tensor(*be, channels, std::vector<double>(c, value), DType::Float32); };
  Tensor gamma = per_channel(1.5), beta = per_channel(0.25), mean = per_channel(0), invstd = per_channel(0);
  Tensor running_mean = per_channel(0), running_var = per_channel(1), dgamma = per_channel(0), dbeta = per_channel(0);
  for (const auto& [fn, name] : {std::pair{Pointwise::Identity, "none"}, {Pointwise::Relu, "relu"}, {Pointwise::Tanh, "tanh"}}) {
    be->run(op::BatchNorm{.x = source, .gamma = gamma, .beta = beta, .y = t, .mean = mean, .invstd = invstd, .running_mean = running_mean,
                          .running_var = running_var, .epilogue = fn});
    convolutions_show(fmt::format("a batch norm (function {}) into it", name));
    be->run(op::BatchNormGrad{.x = source, .gamma = gamma, .dy = dy, .mean = mean, .invstd = invstd, .dx = t, .dgamma = dgamma,
                              .dbeta = dbeta, .input_activation = fn});
    convolutions_show(fmt::format("a batch norm's gradient (through {}) into it", name));
  }
  for (const auto& [kind, name] : {std::pair{DropoutKind::Inverted, "inverted"}, {DropoutKind::Alpha, "alpha"}}) {
    Tensor mask = blocked(46);
    be->run(op::Dropout{.x = source, .y = t, .mask = mask, .kind = kind, .rate = 0.3, .seed = 7});
    convolutions_show(fmt::format("a dropout ({}) into it", name));
  }
  be->run(op::Axpby{dy, t, 1.0, 1.0});
  convolutions_show("an addition into it");
}

// 2x2 max pooling has its own loops (AVX-512 ones for float32): values, argmax and gradient against a naive scan
// in row-major order, with many ties (values from {0, 1, 2, 3}: the first maximum must win, as in PyTorch), rows
// of 2 to 20 outputs, odd sizes, in both dtypes. Through a ReLU before it (input_activation), the inputs are a
// ReLU's, from {0, 0, 1, 2} with every third window wholly 0, and a window whose maximum is 0 routes nothing.
TEST(CpuBackend, MaxPooling2x2MatchesANaiveScanWithTies) {
  auto be = cpu_backend();
  Window2d g;
  g.kernel_h = g.kernel_w = g.stride_h = g.stride_w = 2;
  for (const bool relu : {false, true})
    for (DType dtype : {DType::Float32, DType::Float64})
      for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{4, 4}, {5, 7}, {26, 26}, {6, 33}, {4, 40}}) {
        SCOPED_TRACE(fmt::format("{} {}x{}{}", dtype_name(dtype), h, w, relu ? " through a relu" : ""));
        const std::int64_t planes = 3, oh = h / 2, ow = w / 2;
        std::vector<double> xv(static_cast<std::size_t>(planes * h * w));
        for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>((i * 7919 + i / 5) % 4);
        if (relu) {  // a ReLU's output: every third window wholly zero
          for (double& v : xv) v = std::max(v - 1.0, 0.0);
          for (std::int64_t p = 0; p < planes; ++p)
            for (std::int64_t i = 0; i < oh; ++i)
              for (std::int64_t j = 0; j < ow; ++j)
                if ((i + j) % 3 == 0)
                  for (const std::int64_t at : {2 * i * w + 2 * j, 2 * i * w + 2 * j + 1, (2 * i + 1) * w + 2 * j, (2 * i + 1) * w + 2 * j + 1})
                    xv[static_cast<std::size_t>(p * h * w + at)] = 0.0;
        }
        int zero_windows = 0;
        Tensor x = tensor(*be, Shape{1, planes, h, w}, xv, dtype), y = be->empty(Shape{1, planes, oh, ow}, dtype);
        Tensor arg = be->empty(Shape{1, planes, oh, ow}, DType::Int32);
        be->run(op::Pool2d{x, y, arg, PoolKind::Max, g});
        const auto got = to_host<double>(y), got_arg = to_host<double>(arg);
        // The gradient goes to each window's first maximum; cells of no window (odd sizes) get zero. dx starts as
        // NaN, so that a cell the kernel forgets to write shows.
        const auto dyv = random_normal(static_cast<std::size_t>(planes * oh * ow), 21);
        Tensor dy = tensor(*be, Shape{1, planes, oh, ow}, dyv, dtype), dx = be->empty(x.shape(), dtype);
        be->run(op::Fill{dx, std::nan("")});
        be->run(op::Pool2dGrad{dy, arg, dx, PoolKind::Max, g, relu ? Pointwise::Relu : Pointwise::Identity, y});
        std::vector<double> want_dx(xv.size(), 0.0);
        const auto got_dx = to_host<double>(dx), dy_values = to_host<double>(dy);  // dy as the dtype holds it
        for (std::int64_t p = 0; p < planes; ++p)
          for (std::int64_t i = 0; i < oh; ++i)
            for (std::int64_t j = 0; j < ow; ++j) {
              std::int64_t best = 2 * i * w + 2 * j;
              for (std::int64_t at : {2 * i * w + 2 * j + 1, (2 * i + 1) * w + 2 * j, (2 * i + 1) * w + 2 * j + 1})
                if (xv[static_cast<std::size_t>(p * h * w + at)] > xv[static_cast<std::size_t>(p * h * w + best)]) best = at;
              const auto k = static_cast<std::size_t>((p * oh + i) * ow + j);
              ASSERT_EQ(got[k], xv[static_cast<std::size_t>(p * h * w + best)]) << "plane " << p << " (" << i << ", " << j << ")";
              ASSERT_EQ(got_arg[k], static_cast<double>(best)) << "plane " << p << " (" << i << ", " << j << ")";
              const bool routed = !relu || got[k] > 0;
              zero_windows += !routed;
              want_dx[static_cast<std::size_t>(p * h * w + best)] = routed ? dy_values[k] : 0.0;
            }
        for (std::size_t i = 0; i < want_dx.size(); ++i) ASSERT_EQ(got_dx[i], want_dx[i]) << "dx [" << i << "]";
        if (relu) {
          EXPECT_GT(zero_windows, 0) << "no window of zeros to check";
        }
      }
}

// Only max pooling takes a ReLU's gradient, and only with the pooling's output to read it from.
TEST(CpuBackend, PoolingGradientThroughAReluNeedsMaxPoolingAndItsOutput) {
  auto be = cpu_backend();
  Window2d g;
  g.kernel_h = g.kernel_w = g.stride_h = g.stride_w = 2;
  Tensor dy = be->empty(Shape{1, 2, 2, 2}, DType::Float32), arg = be->empty(Shape{1, 2, 2, 2}, DType::Int32);
  Tensor dx = be->empty(Shape{1, 2, 4, 4}, DType::Float32), wrong_y = be->empty(Shape{1, 2, 2, 3}, DType::Float32);
  const auto message = [&](const op::Pool2dGrad& o) {
    try {
      be->run(o);
    } catch (const BackendError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message({dy, Tensor(), dx, PoolKind::Average, g, Pointwise::Relu, dy}),
            "cpu backend: pool2d_grad: input_activation takes only a ReLU, and only into max pooling");
  EXPECT_EQ(message({dy, arg, dx, PoolKind::Max, g, Pointwise::Tanh, dy}),
            "cpu backend: pool2d_grad: input_activation takes only a ReLU, and only into max pooling");
  EXPECT_EQ(message({dy, arg, dx, PoolKind::Max, g, Pointwise::Relu, wrong_y}),
            "cpu backend: pool2d_grad: y must be the pooling's output, like dy float32[1, 2, 2, 2], got float32[1, 2, 2, 3]");
  EXPECT_EQ(message({dy, arg, dx, PoolKind::Max, g, Pointwise::Relu}),
            "cpu backend: pool2d_grad: y must be the pooling's output, like dy float32[1, 2, 2, 2], got nothing");
}

TEST(CpuBackend, GemmRejectsShapesThatDoNotFit) {
  auto be = cpu_backend();
  Tensor a = be->empty(Shape{2, 3}, DType::Float32), b = be->empty(Shape{4, 5}, DType::Float32);
  Tensor c = be->empty(Shape{2, 5}, DType::Float32);
  try {
    be->run(op::Gemm{.a = a, .b = b, .c = c});
    FAIL();
  } catch (const BackendError& e) {
    EXPECT_STREQ(e.what(), "cpu backend: gemm: shapes do not fit: a [2, 3], b [4, 5], c [2, 5]");
  }
}

// A backend error during a pass names the layer it happened in: here a device whose GEMMs fail, as a GPU that
// faults or runs out of memory mid-training would.
TEST(CpuBackend, AnErrorInsideALayerNamesTheLayerAndThePass) {
  class FailingGemm final : public ForwardingBackend {
   public:
    using ForwardingBackend::ForwardingBackend;
    void run(const Op& op) override {
      if (std::holds_alternative<op::Gemm>(op)) throw BackendError("failing backend: gemm: device fault");
      inner_->run(op);
    }
  };
  auto be = std::make_shared<FailingGemm>("failing", cpu_backend());
  Model model(be, DType::Float32);
  model.add(registry().create_layer(Params("test", "flatten")), "layers[0] (flatten)");
  model.add(registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}})), "layers[1] (dense)");
  model.build(Shape{2, 2}, registry(), 1);
  const Tensor x = tensor(*cpu_backend(), Shape{5, 2, 2}, random_normal(20, 1), DType::Float32);
  try {
    model.forward(x);
    FAIL() << "the failing GEMM went unnoticed";
  } catch (const BackendError& e) {
    EXPECT_STREQ(e.what(), "layers[1] (dense) forward: failing backend: gemm: device fault");
  }
}

TEST(CpuBackend, RowOps) {
  auto be = cpu_backend();
  Tensor x = tensor(*be, Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor bias = tensor(*be, Shape{2}, {10, 20});
  Tensor y = be->empty(Shape{3, 2}, DType::Float64);
  be->run(op::AddRowVector{x, bias, y});
  EXPECT_EQ(to_host<double>(y), (std::vector<double>{11, 22, 13, 24, 15, 26}));
  Tensor sums = tensor(*be, Shape{2}, {100, 200});
  be->run(op::SumRows{x, sums, 1.0});
  EXPECT_EQ(to_host<double>(sums), (std::vector<double>{109, 212}));
}

TEST(CpuBackend, SoftmaxRowsSumToOneEvenForHugeLogits) {
  auto be = cpu_backend();
  Tensor x = tensor(*be, Shape{2, 3}, {1000, 1001, 1002, -5, 0, 5}, DType::Float32);
  Tensor y = be->empty(Shape{2, 3}, DType::Float32);
  be->run(op::Softmax{x, y});
  const auto v = to_host<double>(y);
  const double e1 = std::exp(-1.0), e2 = std::exp(-2.0);
  EXPECT_NEAR(v[2], 1.0 / (1.0 + e1 + e2), 1e-6);
  EXPECT_NEAR(v[0] + v[1] + v[2], 1.0, 1e-6);
  EXPECT_NEAR(v[3] + v[4] + v[5], 1.0, 1e-6);
}

TEST(CpuBackend, Float32SoftmaxOfRowsInChunksMatchesTheClosedForm) {
  // Float32 rows go in chunks of about 2,048 values: 130 rows of an attention's 28 (73 a chunk, and a partial last
  // chunk), 5 rows of 3,000 (one a chunk), 1,000 rows of 7 split across threads; into another tensor and in place.
  auto be = cpu_backend();
  for (const auto& [rows, cols] : {std::pair<std::int64_t, std::int64_t>{130, 28}, {5, 3000}, {1000, 7}}) {
    auto xv = random_normal(static_cast<std::size_t>(rows * cols), 9);
    for (double& v : xv) v = static_cast<float>(v * 6);  // values float32 holds exactly, so that the closed form reads the same
    std::vector<double> expected(xv.size());
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto row = xv.begin() + i * cols;
      const double max = *std::max_element(row, row + cols);
      double sum = 0;
      for (std::int64_t j = 0; j < cols; ++j) sum += std::exp(row[j] - max);
      for (std::int64_t j = 0; j < cols; ++j) expected[static_cast<std::size_t>(i * cols + j)] = std::exp(row[j] - max) / sum;
    }
    Tensor x = tensor(*be, Shape{rows, cols}, xv, DType::Float32);
    Tensor y = be->empty(Shape{rows, cols}, DType::Float32);
    be->run(op::Softmax{x, y});
    be->run(op::Softmax{x, x});
    for (const Tensor& out : {y, x}) {
      const auto v = to_host<double>(out);
      for (std::size_t k = 0; k < v.size(); ++k)
        ASSERT_NEAR(v[k], expected[k], 2e-6 * expected[k] + 1e-12) << rows << " x " << cols << ", value " << k;
    }
  }
}

TEST(CpuBackend, SoftmaxCrossEntropyOfManyRowsMatchesNaiveLoops) {
  // Blocks of 64 rows and a partial last one: 130 rows of 10 classes on one thread, 3,001 rows of 13 split across
  // threads; with and without the gradient, which the backend computes in one pass with the loss.
  auto be = cpu_backend();
  for (const auto& [rows, cols] : {std::pair<std::int64_t, std::int64_t>{130, 10}, {3001, 13}}) {
    auto zv = random_normal(static_cast<std::size_t>(rows * cols), 5);
    for (double& z : zv) z *= 4;
    std::vector<double> labels(static_cast<std::size_t>(rows)), grad(zv.size());
    double loss = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto row = static_cast<std::size_t>(i * cols);
      const auto y = static_cast<std::size_t>((i * 7) % cols);
      labels[static_cast<std::size_t>(i)] = static_cast<double>(y);
      double sum = 0;
      for (std::size_t j = 0; j < static_cast<std::size_t>(cols); ++j) sum += std::exp(zv[row + j]);
      loss += std::log(sum) - zv[row + y];
      for (std::size_t j = 0; j < static_cast<std::size_t>(cols); ++j)
        grad[row + j] = (std::exp(zv[row + j]) / sum - (j == y ? 1.0 : 0.0)) / static_cast<double>(rows);
    }
    loss /= static_cast<double>(rows);
    for (DType dtype : {DType::Float64, DType::Float32}) {
      SCOPED_TRACE(fmt::format("{} rows, {}", rows, dtype_name(dtype)));
      const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
      Tensor z = tensor(*be, Shape{rows, cols}, zv, dtype), l = tensor(*be, Shape{rows}, labels, DType::Int32);
      Tensor out = be->empty(Shape{1}, dtype), dz = be->empty(z.shape(), dtype);
      for (bool with_grad : {false, true}) {
        be->run(op::ClassLoss{z, l, out, with_grad ? dz : Tensor()});
        EXPECT_NEAR(to_host<double>(out)[0], loss, tol * std::abs(loss));
      }
      const auto got = to_host<double>(dz);
      for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], grad[i], tol / static_cast<double>(rows)) << i;
    }
  }
}

TEST(CpuBackend, CountCorrectUsesArgMax) {
  auto be = cpu_backend();
  Tensor s = tensor(*be, Shape{3, 3}, {0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4});
  Tensor labels = tensor(*be, Shape{3}, {1, 1, 2}, DType::Int32);
  Tensor out = be->empty(Shape{1}, DType::Float64);
  be->run(op::CountCorrect{s, labels, out});
  EXPECT_EQ(to_host<double>(out)[0], 2.0);
}

TEST(CpuBackend, LargeElementwiseOpsRunThreadedAndMatch) {
  // Above the parallel threshold the loop is split across threads; every element must still be right.
  auto be = cpu_backend();
  const std::size_t n = 100000;
  auto xv = random_normal(n, 4);
  Tensor x = tensor(*be, Shape{static_cast<std::int64_t>(n)}, xv), y = be->empty(x.shape(), DType::Float64);
  be->run(op::Activation{x, y, Pointwise::Relu});
  const auto v = to_host<double>(y);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(v[i], xv[i] > 0 ? xv[i] : 0.0) << i;
}

// Permute against index arithmetic written here: above the parallel threshold, in both float dtypes and int32 (the
// elements move as they are), with size-1 axes; and orders that are not permutations are refused.
TEST(CpuBackend, PermuteMovesEveryElementToItsReorderedPlace) {
  auto be = cpu_backend();
  const std::vector<std::int64_t> sizes{3, 1, 40, 7, 90};
  const std::array<std::int8_t, Shape::kMaxRank> perm{0, 4, 2, 1, 3};
  std::vector<std::int64_t> strides(5, 1);
  for (int a = 3; a >= 0; --a) strides[static_cast<std::size_t>(a)] = strides[static_cast<std::size_t>(a) + 1] * sizes[static_cast<std::size_t>(a) + 1];
  std::vector<double> xv(3 * 40 * 7 * 90), want;
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(i);
  for (std::int64_t a = 0; a < 3; ++a)
    for (std::int64_t b = 0; b < 90; ++b)
      for (std::int64_t c = 0; c < 40; ++c)
        for (std::int64_t e = 0; e < 7; ++e) want.push_back(xv[static_cast<std::size_t>(a * strides[0] + c * strides[2] + e * strides[3] + b * strides[4])]);
  for (const DType dtype : {DType::Float64, DType::Float32, DType::Int32}) {
    Tensor x = be->empty(Shape{3, 1, 40, 7, 90}, dtype), out = be->empty(Shape{3, 90, 40, 1, 7}, dtype);
    if (dtype == DType::Int32) std::transform(xv.begin(), xv.end(), x.data<std::int32_t>(), [](double v) { return static_cast<std::int32_t>(v); });
    else from_host(x, xv);
    be->run(op::Permute{x, out, perm});
    std::vector<double> got(want.size());
    if (dtype == DType::Int32) std::copy_n(out.data<std::int32_t>(), got.size(), got.begin());
    else got = to_host<double>(out);
    EXPECT_EQ(got, want) << dtype_name(dtype);
  }
  Tensor x = be->empty(Shape{2, 3}, DType::Float32), out = be->empty(Shape{3, 2}, DType::Float32);
  EXPECT_EQ(error_of([&] { be->run(op::Permute{x, out, {1, 1}}); }), "cpu backend: permute: perm is not a permutation of x's 2 axes");
  EXPECT_EQ(error_of([&] { be->run(op::Permute{x, out, {0, 1}}); }),
            "cpu backend: permute: out float32[3, 2] is not x float32[2, 3] with its axes reordered");
}

TEST(CpuBackend, FlushesSubnormalsUnlessAskedNotTo) {
  // 1e-40 is subnormal in float32: with flush_denormals (the default) arithmetic treats it as 0.
  auto scaled = [](bool flush) {
    auto be = registry().create_backend(Params("test", {{"type", "cpu"}, {"flush_denormals", flush}}));
    Tensor x = tensor(*be, Shape{1}, {1e-40}, DType::Float32), y = be->empty(Shape{1}, DType::Float32);
    be->run(op::Axpby{x, y, 2.0, 0.0});
    return to_host<float>(y)[0];
  };
  EXPECT_GT(scaled(false), 0.0f);
  EXPECT_EQ(scaled(true), 0.0f);
  // Only in the backend's ops: the calling program's own arithmetic keeps its subnormals.
  volatile float tiny = 1e-40f, two = 2.0f;
  EXPECT_GT(tiny * two, 0.0f);
}

TEST(CpuBackend, DescribesItsVariant) {
  auto be = cpu_backend();
  EXPECT_EQ(be->name(), "cpu");
  EXPECT_EQ(be->device().rfind("cpu ", 0), 0u) << be->device();
}

// An activation's gradient that reads y = f(x) (tanh) refuses an op without it, rather than reading nothing.
TEST(CpuBackend, ActivationGradientWithoutTheTensorItReadsIsRefused) {
  auto be = cpu_backend();
  Tensor x = tensor(*be, Shape{4}, {1, 2, 3, 4}), dy = tensor(*be, Shape{4}, {1, 1, 1, 1}), dx = be->empty(Shape{4}, DType::Float64);
  try {
    be->run(op::ActivationGrad{x, Tensor(), dy, dx, Pointwise::Tanh});
    FAIL() << "no error";
  } catch (const BackendError& e) {
    EXPECT_STREQ(e.what(), "cpu backend: activation_grad: this function's gradient needs y = f(x)");
  }
  EXPECT_THROW(be->run(op::ActivationGrad{Tensor(), x, dy, dx, Pointwise::Relu}), BackendError);
}

}  // namespace
}  // namespace nnplug::test
