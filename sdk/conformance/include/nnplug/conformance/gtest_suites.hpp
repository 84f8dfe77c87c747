#pragma once
// GoogleTest suites of the conformance kit, for a plugin author to instantiate with their plugin's specs:
//
//   #include "nnplug/conformance/gtest_suites.hpp"
//   INSTANTIATE_TEST_SUITE_P(Mish, ActivationConformance, ::testing::Values(R"("mish")", R"({"type": "mish"})"));
//   INSTANTIATE_TEST_SUITE_P(MyDense, LayerConformance,
//                            ::testing::Values(LayerCase{R"({"type": "my_dense", "units": 3})", {5}, 4}));
//   INSTANTIATE_TEST_SUITE_P(MyLoss, LossConformance, ::testing::Values(LossCase{R"("my_loss")", Target::Labels}));
//   INSTANTIATE_TEST_SUITE_P(MyOpt, OptimizerConformance, ::testing::Values(R"({"type": "my_opt", "lr": 0.1})"));
//   INSTANTIATE_TEST_SUITE_P(MyInit, InitializerConformance, ::testing::Values(InitializerCase{R"("my_init")", 0.0, 0.1}));
//   INSTANTIATE_TEST_SUITE_P(MyBackend, BackendConformance, ::testing::Values(R"("my_backend")"));
//   INSTANTIATE_TEST_SUITE_P(MyOp, OpConformance, ::testing::Values("my_op", "my_op_grad"));
//
// Include this header in one test source only (it defines the tests). Plugins are found through
// NNPLUG_PLUGIN_PATH and the installed nnplug's plugin folder (see plugin_registry.hpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "nnplug/conformance/component_checks.hpp"
#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/conformance/op_checks.hpp"
#include "nnplug/conformance/plugin_checks.hpp"
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

// An initializer spec and the mean and std its values must have for a 100 x 100 weight (fan_in = fan_out = 100).
struct InitializerCase {
  std::string spec;
  double mean = 0.0, std = 0.0, tolerance = 0.01;
};
inline void PrintTo(const InitializerCase& c, std::ostream* os) { *os << c.spec; }

inline Params spec_params(const std::string& json) { return Params("conformance", Params::Json::parse(json)); }

class ActivationConformance : public ::testing::TestWithParam<std::string> {};
class LayerConformance : public ::testing::TestWithParam<LayerCase> {};
class LossConformance : public ::testing::TestWithParam<LossCase> {};
class OptimizerConformance : public ::testing::TestWithParam<std::string> {};
class InitializerConformance : public ::testing::TestWithParam<InitializerCase> {};
class BackendConformance : public ::testing::TestWithParam<std::string> {};
class MixedPrecisionConformance : public ::testing::TestWithParam<std::string> {};
class OpConformance : public ::testing::TestWithParam<std::string> {};  // an op's name
// An author instantiates the suites for the kinds their plugin provides; the others stay silent.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ActivationConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LayerConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LossConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OptimizerConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(InitializerConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MixedPrecisionConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpConformance);

#define NNPLUG_EXPECT_PASSES(result) EXPECT_TRUE((result).passed) << (result).check << ": " << (result).detail

TEST_P(ActivationConformance, GradientMatchesCentredDifferencesInFloat64) {
  auto backend = reference_backend();
  const auto r = check_activation_gradient(registry().create_activation(spec_params(GetParam())), *backend, Shape{6}, 4,
                                           away_from_zero(random_normal(24, 3)));
  NNPLUG_EXPECT_PASSES(r);
}

TEST_P(LayerConformance, GradientMatchesCentredDifferencesInFloat64) {
  auto backend = reference_backend();
  auto layer = registry().create_layer(spec_params(GetParam().spec));
  const Shape sample(GetParam().sample);
  const auto r = check_layer_gradient(*layer, *backend, sample, GetParam().batch,
                                      random_normal(static_cast<std::size_t>(sample.numel() * GetParam().batch), 1));
  NNPLUG_EXPECT_PASSES(r);
}

TEST_P(LayerConformance, SaveAndLoadGiveTheSameOutput) {
  NNPLUG_EXPECT_PASSES(check_layer_save_load(registry(), Params::Json::parse(GetParam().spec), Shape(GetParam().sample)));
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
  NNPLUG_EXPECT_PASSES(r);
}

inline OptimizerFactory optimizer_factory(const std::string& spec) {
  return [spec] { return registry().create_optimizer(spec_params(spec)); };
}

TEST_P(OptimizerConformance, ZeroGradientKeepsTheWeights) {
  NNPLUG_EXPECT_PASSES(check_optimizer_zero_gradient(optimizer_factory(GetParam()), *reference_backend()));
}
TEST_P(OptimizerConformance, ConvergesOnAQuadratic) {
  NNPLUG_EXPECT_PASSES(check_optimizer_converges_on_quadratic(optimizer_factory(GetParam()), *reference_backend()));
}
TEST_P(OptimizerConformance, StateSaveAndRestoreReplaysTheSameSteps) {
  NNPLUG_EXPECT_PASSES(check_optimizer_state_round_trip(optimizer_factory(GetParam()), *reference_backend()));
}
TEST_P(OptimizerConformance, StepsTakenInPartsEqualWholeSteps) {
  NNPLUG_EXPECT_PASSES(check_optimizer_steps_in_parts(optimizer_factory(GetParam()), *reference_backend()));
}

TEST_P(InitializerConformance, SameSeedSameValues) {
  NNPLUG_EXPECT_PASSES(check_initializer_determinism(*registry().create_initializer(spec_params(GetParam().spec))));
}
TEST_P(InitializerConformance, MeanAndStdAsExpected) {
  const auto& c = GetParam();
  NNPLUG_EXPECT_PASSES(check_initializer_statistics(*registry().create_initializer(spec_params(c.spec)), c.mean, c.std, c.tolerance));
}

TEST_P(BackendConformance, EveryOpMatchesTheCpuBackend) {
  if (const auto why = backend_unavailable(spec_params(GetParam()).type())) GTEST_SKIP() << *why;
  auto candidate = registry().create_backend(spec_params(GetParam()));
  auto reference = reference_backend();
  for (DType dtype : {DType::Float32, DType::Float64})
    for (const auto& r : check_backend_parity(*candidate, *reference, dtype)) NNPLUG_EXPECT_PASSES(r);
}

// The backend the parameter names, made with "precision": "bfloat16"; skipped with the backend's reason where it
// has none (no GPU, a CPU without bfloat16).
TEST_P(MixedPrecisionConformance, ProductsAndConvolutionsStayWithinTheirToleranceAndTheRestAsInFloat32) {
  Params params = spec_params(GetParam());
  if (const auto why = backend_unavailable(params.type())) GTEST_SKIP() << *why;
  Params::Json json = params.json();
  json["precision"] = "bfloat16";
  std::shared_ptr<Backend> candidate;
  try {
    candidate = registry().create_backend(Params("conformance", json));
  } catch (const InvalidArgument& e) {
    GTEST_SKIP() << e.what();
  }
  auto reference = reference_backend();
  for (const auto& r : check_backend_mixed_precision(*candidate, *reference)) NNPLUG_EXPECT_PASSES(r);
}

// Every kernel of a plugin op against its reference, and its gradient op against centred differences (op_checks.hpp).
// A kernel for a backend not usable here (a CUDA kernel without a GPU) is reported as skipped, with the reason.
TEST_P(OpConformance, EveryKernelMatchesTheReferenceAndTheGradientMatchesCentredDifferences) {
  const auto op = registry().find_op(GetParam());
  ASSERT_TRUE(op) << "no loaded plugin defines op '" << GetParam() << "'";
  for (const auto& r : check_op(registry(), op)) {
    if (r.skipped) std::printf("skipped: %s: %s\n", r.check.c_str(), r.detail.c_str());
    else NNPLUG_EXPECT_PASSES(r);
  }
}

}  // namespace nnplug::conformance
