#pragma once
// GoogleTest suites of the conformance kit, for a plugin author to instantiate with their plugin's specs:
//
//   #include "nnplug/conformance/gtest_suites.hpp"
//   INSTANTIATE_TEST_SUITE_P(Mish, ActivationConformance, ::testing::Values(R"("mish")", R"({"type": "mish"})"));
//   INSTANTIATE_TEST_SUITE_P(MyDense, LayerConformance,
//                            ::testing::Values(LayerCase{R"({"type": "my_dense", "units": 3})", {5}, 4}));
//   INSTANTIATE_TEST_SUITE_P(MyLoss, LossConformance, ::testing::Values(LossCase{R"("my_loss")", Target::Labels}));
//
// Include this header in one test source only (it defines the tests). Plugins are found through
// NNPLUG_PLUGIN_PATH and the installed nnplug's plugin folder (see plugin_registry.hpp).
#include <gtest/gtest.h>

#include <string>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/conformance/plugin_registry.hpp"

namespace nnplug::conformance {

// A layer spec (JSON), the per-sample input shape and the batch size to check it at.
struct LayerCase {
  std::string spec;
  std::vector<std::int64_t> sample{6};
  std::int64_t batch = 4;
};
inline void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.spec; }

// What a loss compares predictions of shape (4, 5) with: class labels, real values, or 0/1 values.
enum class Target { Labels, Values, Binary };
struct LossCase {
  std::string spec;
  Target target = Target::Labels;
};
inline void PrintTo(const LossCase& c, std::ostream* os) { *os << c.spec; }

inline Params spec_params(const std::string& json) { return Params("conformance", Params::Json::parse(json)); }

class ActivationConformance : public ::testing::TestWithParam<std::string> {};
class LayerConformance : public ::testing::TestWithParam<LayerCase> {};
class LossConformance : public ::testing::TestWithParam<LossCase> {};
// An author instantiates the suites for the kinds their plugin provides; the others stay silent.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ActivationConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LayerConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LossConformance);

TEST_P(ActivationConformance, GradientMatchesCentredDifferencesInFloat64) {
  auto backend = reference_backend();
  const auto r = check_activation_gradient(registry().create_activation(spec_params(GetParam())), *backend, Shape{6}, 4,
                                           away_from_zero(random_normal(24, 3)));
  EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

TEST_P(LayerConformance, GradientMatchesCentredDifferencesInFloat64) {
  auto backend = reference_backend();
  auto layer = registry().create_layer(spec_params(GetParam().spec));
  const Shape sample(GetParam().sample);
  const auto r = check_layer_gradient(*layer, *backend, sample, GetParam().batch,
                                      random_normal(static_cast<std::size_t>(sample.numel() * GetParam().batch), 1));
  EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

TEST_P(LossConformance, GradientMatchesCentredDifferencesInFloat64) {
  auto backend = reference_backend();
  auto loss = registry().create_loss(spec_params(GetParam().spec));
  Tensor target;
  if (GetParam().target == Target::Labels) {
    target = backend->empty(Shape{4}, DType::Int32);
    from_host(target, std::vector<double>{0, 3, 4, 1});
  } else {
    target = backend->empty(Shape{4, 5}, DType::Float64);
    auto values = random_normal(20, 5);
    if (GetParam().target == Target::Binary)
      for (double& v : values) v = v > 0 ? 1.0 : 0.0;
    from_host(target, values);
  }
  const auto r = check_loss_gradient(*loss, *backend, Shape{4, 5}, random_normal(20, 4), target);
  EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

}  // namespace nnplug::conformance
