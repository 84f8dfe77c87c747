// The conformance kit run on the mish plugin, plus its values against closed forms.
#include <cmath>

#include "nnplug/conformance/gtest_suites.hpp"

using namespace nnplug;
using namespace nnplug::conformance;

INSTANTIATE_TEST_SUITE_P(Mish, ActivationConformance, ::testing::Values(R"("mish")"));

TEST(Mish, ValuesMatchTheClosedForm) {
  auto backend = reference_backend();
  auto mish = registry().create_activation(Params("test", "mish"));
  const std::vector<double> xs{-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0};
  Tensor x = backend->empty(Shape{1, 7}, DType::Float64), y = backend->empty(Shape{1, 7}, DType::Float64);
  from_host(x, xs);
  mish->forward(x, y);
  const auto got = to_host<double>(y);
  for (std::size_t i = 0; i < xs.size(); ++i)
    EXPECT_NEAR(got[i], xs[i] * std::tanh(std::log1p(std::exp(xs[i]))), 1e-12) << "x = " << xs[i];
}
