// The conformance kit on the two plugins (every kernel of every op against its reference, gradients against
// centred differences, the optimizer's invariants), and their values against closed forms: PyTorch's Hardswish and
// Bernstein et al.'s Signum computed by hand.
#include <cmath>

#include "nnplug/conformance/gtest_suites.hpp"

using namespace nnplug;
using namespace nnplug::conformance;

INSTANTIATE_TEST_SUITE_P(CustomOps, OpConformance, ::testing::Values("hardswish", "hardswish_grad", "signum_step"));
INSTANTIATE_TEST_SUITE_P(Hardswish, ActivationConformance, ::testing::Values(R"("hardswish")"));
INSTANTIATE_TEST_SUITE_P(Signum, OptimizerConformance, ::testing::Values(R"({"type": "signum", "lr": 0.01})"));

TEST(Hardswish, ValuesAndSlopesAreTorchs) {
  auto backend = reference_backend();
  auto hardswish = registry().create_activation(Params("test", "hardswish"));
  hardswish->prepare(*backend, DType::Float64);
  const std::vector<double> xs{-5.0, -3.0, -1.5, 0.0, 1.0, 3.0, 4.0};
  Tensor x = backend->empty(Shape{1, 7}, DType::Float64), y = backend->empty(Shape{1, 7}, DType::Float64),
         dy = backend->empty(Shape{1, 7}, DType::Float64), dx = backend->empty(Shape{1, 7}, DType::Float64);
  from_host(x, xs);
  from_host(dy, std::vector<double>(7, 2.0));
  hardswish->forward(x, y);
  hardswish->backward(x, y, dy, dx);
  const auto got = to_host<double>(y), slopes = to_host<double>(dx);
  // torch.nn.functional.hardswish and its backward at these points (slope x / 3 + 1/2 on [-3, 3]).
  const std::vector<double> want{0.0, 0.0, -0.375, 0.0, 2.0 / 3.0, 3.0, 4.0}, want_slope{0.0, -0.5, 0.0, 0.5, 5.0 / 6.0, 1.5, 1.0};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-15) << "x = " << xs[i];
    EXPECT_NEAR(slopes[i], 2.0 * want_slope[i], 1e-15) << "x = " << xs[i];
  }
}

TEST(Signum, ThreeStepsFollowTheAlgorithm) {
  auto backend = reference_backend();
  auto signum = registry().create_optimizer(Params("test", Params::Json{{"type", "signum"}, {"lr", 0.1}, {"momentum", 0.5},
                                                                        {"weight_decay", 0.25}}));
  Parameter p{"w", backend->empty(Shape{3}, DType::Float64), backend->empty(Shape{3}, DType::Float64)};
  from_host(p.value, std::vector<double>{1.0, -2.0, 0.5});
  signum->attach({&p});
  // By hand: g = grad + 0.25 w; m = 0.5 m + 0.5 g; w -= 0.1 sign(m).
  std::vector<double> w{1.0, -2.0, 0.5}, m{0.0, 0.0, 0.0};
  const std::vector<std::vector<double>> grads{{0.2, 0.0, -1.0}, {-1.0, 0.3, 0.0}, {-0.4, 0.1, 0.5}};
  for (const auto& grad : grads) {
    from_host(p.grad, grad);
    signum->step();
    for (std::size_t i = 0; i < 3; ++i) {
      m[i] = 0.5 * m[i] + 0.5 * (grad[i] + 0.25 * w[i]);
      w[i] -= 0.1 * (m[i] > 0 ? 1.0 : m[i] < 0 ? -1.0 : 0.0);
    }
    const auto got = to_host<double>(p.value);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(got[i], w[i]) << "element " << i;
  }
  EXPECT_EQ(signum->state().front().first, "0.momentum_buffer");
  EXPECT_EQ(to_host<double>(signum->state().front().second), m);
}

// On a GPU the cuda kernels run in a model like the cpu ones; here the test says why it cannot.
TEST(CustomOps, TheCudaKernelsRunWhereAGpuIs) {
  if (const auto why = backend_unavailable("cuda")) GTEST_SKIP() << *why;
  const auto op = registry().find_op("hardswish");
  ASSERT_TRUE(op->find(OpKernel::Kind::Native, "cuda")) << "built without nvcc: " << op->describe_kernels();
  auto gpu = registry().create_backend(Params("test", "cuda"));
  Tensor x = gpu->empty(Shape{2, 4}, DType::Float32), y = gpu->empty(Shape{2, 4}, DType::Float32);
  from_host(x, std::vector<double>{-4, -3, -2, -1, 0, 1, 2, 5});
  BoundOp(op, *gpu, DType::Float32)({x}, {y});
  const auto got = to_host<double>(y);
  const std::vector<double> want{0, 0, -1.0 / 3.0, -1.0 / 3.0, 0, 2.0 / 3.0, 5.0 / 3.0, 5};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6);
}
