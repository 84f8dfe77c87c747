// The conformance kit's suites instantiated for the project's own optimizers and initializers, exactly as an
// outside author instantiates them (the layer, activation and loss gradient checks are in gradient_check_test).
// Initializer statistics are closed forms for a 100 x 100 weight, fan_in = fan_out = 100.
#include <cmath>

#include "nnplug/conformance/gtest_suites.hpp"
#include "test_support.hpp"

namespace nnplug::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(
    EveryOptimizer, OptimizerConformance,
    ::testing::Values(R"({"type": "sgd", "lr": 0.1})", R"({"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true})",
                      R"({"type": "adam", "lr": 0.1})", R"({"type": "adam", "lr": 0.1, "amsgrad": true})",
                      R"({"type": "adamw", "lr": 0.1, "weight_decay": 0})", R"({"type": "adagrad", "lr": 0.5})",
                      R"({"type": "rmsprop", "lr": 0.05})", R"({"type": "adadelta", "lr": 1.0})", R"({"type": "radam", "lr": 0.1})",
                      R"({"type": "nadam", "lr": 0.1})", R"({"type": "adamax", "lr": 0.1})",
                      R"({"type": "lion", "lr": 0.01})", R"({"type": "lamb", "lr": 0.1})", R"({"type": "adafactor", "lr": 0.1})",
                      R"({"type": "rprop", "lr": 0.01})", R"({"type": "asgd", "lr": 0.1, "lambd": 0})", R"({"type": "ftrl", "lr": 0.5})",
                      R"({"type": "lars", "lr": 0.5, "momentum": 0.9, "always_adapt": true, "trust_coefficient": 0.02})"));

const double kTruncatedStd = std::sqrt(1 - 4 * std::exp(-2.0) / std::sqrt(2 * M_PI) / std::erf(2 / std::sqrt(2.0)));

INSTANTIATE_TEST_SUITE_P(
    EveryInitializer, InitializerConformance,
    ::testing::Values(InitializerCase{R"("zeros")", 0, 0, 1e-12}, InitializerCase{R"({"type": "constant", "value": 0.3})", 0.3, 0, 1e-12},
                      InitializerCase{R"("uniform")", 0.5, 1 / std::sqrt(12.0), 0.02}, InitializerCase{R"("normal")", 0, 1, 0.05},
                      InitializerCase{R"("truncated_normal")", 0, kTruncatedStd, 0.03},
                      InitializerCase{R"("xavier_uniform")", 0, 0.1, 0.005}, InitializerCase{R"("xavier_normal")", 0, 0.1, 0.005},
                      InitializerCase{R"("he_normal")", 0, std::sqrt(0.02), 0.005}, InitializerCase{R"("he_uniform")", 0, std::sqrt(0.02), 0.005},
                      InitializerCase{R"("lecun_normal")", 0, 0.1, 0.005}, InitializerCase{R"("lecun_uniform")", 0, 0.1, 0.005},
                      InitializerCase{R"("variance_scaling")", 0, 0.1, 0.005},
                      InitializerCase{R"("sparse")", 0, 0.01 * std::sqrt(0.1), 0.0005},
                      InitializerCase{R"("orthogonal")", 0, 0.1, 0.002}, InitializerCase{R"("eye")", 0.01, std::sqrt(0.0099), 1e-9}));

// The CUDA backend against the CPU backend, every op in both dtypes: once as it runs in training, once waiting
// after every op (so that a fault names its op). Skipped, with the probe's reason, where there is no GPU.
INSTANTIATE_TEST_SUITE_P(Cuda, BackendConformance, ::testing::Values(R"("cuda")", R"({"type": "cuda", "sync_every_op": true})"));

// Both backends in bfloat16 mixed precision (skipped with the reason on a CPU without bfloat16, or without a GPU;
// scripts/gpu_check.sh runs the Cuda ones).
INSTANTIATE_TEST_SUITE_P(Cpu, MixedPrecisionConformance, ::testing::Values(R"("cpu")"));
INSTANTIATE_TEST_SUITE_P(Cuda, MixedPrecisionConformance, ::testing::Values(R"("cuda")"));

// Every op the project's plugins define: each kernel against the op's reference in float32 and float64, and the
// gradient ops against centred differences (op_checks.hpp). Here the cpu kernels run; every cuda kernel (each op but
// poisson_nll, batched_matmul and add_pair, whose composites run the backend's own ops there, has one) is skipped with
// the reason without a GPU, and scripts/gpu_check.sh runs them, failing where one is skipped there.
INSTANTIATE_TEST_SUITE_P(CpuAndCuda, OpConformance,
                         ::testing::Values("adafactor_factored_update", "adafactor_step", "adafactor_variance_update", "adamax_step",
                                           "adaptive_max_pool2d", "adaptive_max_pool2d_grad", "add_pair", "asgd_step", "batched_matmul",
                                           "binary_focal_loss", "categorical_hinge_loss", "cosine_similarity_loss", "exponential",
                                           "exponential_grad", "ftrl_step", "gelu_tanh", "gelu_tanh_grad", "glu", "glu_grad", "group_norm",
                                           "group_norm_grad", "gru_step_mask", "hard_tanh", "hard_tanh_grad", "kl_divergence_loss",
                                           "lamb_direction", "lamb_trust_step", "lars_step", "layer_norm", "layer_norm_grad", "lion_step",
                                           "log_cosh_loss", "log_softmax", "log_softmax_grad", "lstm_step_mask", "mape_loss", "masked_step_mean",
                                           "masked_step_mean_grad", "msle_loss", "nadam_step", "nll_loss", "poisson_nll", "rms_norm",
                                           "rms_norm_grad", "rnn_step_mask", "rprop_step", "smooth_l1_loss", "soft_target_cross_entropy",
                                           "softmax_focal_loss", "sparse_plus", "sparse_plus_grad", "squareplus", "squareplus_grad", "threshold",
                                           "threshold_grad"));

// Every layer plugin survives a save and load with its parameters and buffers (batch norm's running statistics).
TEST(ConformanceChecks, EveryLayerSavesAndLoads) {
  const std::vector<std::pair<const char*, Shape>> layers = {
      {R"({"type": "dense", "units": 3})", Shape{5}}, {R"({"type": "maxout", "units": 2, "pieces": 3})", Shape{5}},
      {R"({"type": "prelu", "num_parameters": 2})", Shape{2, 3, 3}}, {R"("batch_norm")", Shape{2, 3, 3}},
      {R"("dropout")", Shape{5}}, {R"("gaussian_dropout")", Shape{5}}, {R"("alpha_dropout")", Shape{5}}, {R"("spatial_dropout")", Shape{2, 5}},
      {R"({"type": "stochastic_depth", "rate": 0.2})", Shape{2, 5}}, {R"({"type": "pixel_shuffle", "upscale_factor": 2})", Shape{4, 3, 3}},
      {R"({"type": "pixel_unshuffle", "downscale_factor": 2})", Shape{1, 4, 6}},
      {R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same"})", Shape{2, 5, 5}},
      {R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "groups": 2})", Shape{2, 5, 5}},
      {R"({"type": "conv2d_transpose", "filters": 3, "kernel_size": 3, "stride": 2})", Shape{2, 4, 4}}, {R"("upsample2d")", Shape{2, 4, 4}},
      {R"({"type": "conv1d_transpose", "filters": 3, "kernel_size": 3, "stride": 2, "data_format": "channels_last"})", Shape{5, 2}},
      {R"({"type": "upsample1d", "mode": "linear"})", Shape{2, 5}}, {R"({"type": "repeat_vector", "n": 3})", Shape{4}},
      {R"({"type": "rescaling", "scale": 0.5, "offset": -1})", Shape{2, 3}},
      {R"({"type": "normalization", "axis": 1, "mean": [1, -1], "variance": [4, 0.5]})", Shape{2, 3}},
      {R"({"type": "glu", "dim": 1})", Shape{4, 3}}, {R"({"type": "channel_shuffle", "groups": 2})", Shape{4, 2, 2}},
      {R"({"type": "adaptive_max_pool2d", "output_size": 2})", Shape{2, 3, 5}},
      {R"({"type": "adaptive_avg_pool2d", "output_size": 3})", Shape{2, 4, 5}}, {R"({"type": "zero_padding2d", "padding": 1})", Shape{2, 3, 3}},
      {R"({"type": "padding2d", "padding": 2, "mode": "reflect"})", Shape{2, 3, 3}}, {R"({"type": "padding1d", "padding": [1, 2]})", Shape{2, 6}},
      {R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1, "padding_mode": "circular"})", Shape{2, 5, 5}},
      {R"({"type": "cropping2d", "cropping": 1})", Shape{2, 4, 4}}, {R"({"type": "cropping1d", "cropping": [1, 2]})", Shape{6, 2}},
      {R"("max_pool2d")", Shape{2, 4, 4}}, {R"("avg_pool2d")", Shape{2, 4, 4}}, {R"("global_avg_pool2d")", Shape{2, 4, 4}},
      {R"("global_max_pool2d")", Shape{2, 4, 4}}, {R"({"type": "conv1d", "filters": 3, "kernel_size": 3})", Shape{2, 6}},
      {R"({"type": "conv1d", "filters": 3, "kernel_size": 3, "data_format": "channels_last"})", Shape{6, 2}},
      {R"("max_pool1d")", Shape{2, 6}}, {R"({"type": "avg_pool1d", "data_format": "channels_last"})", Shape{6, 2}},
      {R"("global_avg_pool1d")", Shape{2, 6}}, {R"({"type": "global_max_pool1d", "data_format": "channels_last"})", Shape{6, 2}},
      {R"({"type": "lstm", "units": 3})", Shape{4, 2}},
      {R"({"type": "gru", "units": 3, "return_sequences": true})", Shape{4, 2}},
      {R"({"type": "lstm", "units": 2, "bidirectional": true})", Shape{4, 2}}, {R"({"type": "rnn", "units": 3, "nonlinearity": "relu"})", Shape{4, 2}},
      {R"({"type": "gru", "units": 2, "num_layers": 2, "dropout": 0.3, "bidirectional": true})", Shape{4, 2}},
      {R"("flatten")", Shape{2, 4, 4}}, {R"({"type": "reshape", "shape": [4, -1]})", Shape{2, 4, 4}},
      {R"({"type": "permute", "dims": [2, 1]})", Shape{3, 2}}, {R"({"type": "multi_head_attention", "num_heads": 2})", Shape{3, 4}},
      {R"("position_embedding")", Shape{3, 4}}, {R"("positional_encoding")", Shape{3, 4}},
      {R"({"type": "rms_norm", "normalized_shape": 4})", Shape{3, 4}}, {R"({"type": "layer_norm", "normalized_shape": 4})", Shape{3, 4}},
      {R"({"type": "group_norm", "num_groups": 2})", Shape{4, 3, 3}}, {R"({"type": "instance_norm", "affine": true})", Shape{2, 5}},
      {R"("layer_norm")", Shape{2, 3, 3}}, {R"("add")", Shape{2, 3}}, {R"("subtract")", Shape{2, 3}}, {R"("average")", Shape{2, 3}}, {R"("multiply")", Shape{2, 3}}, {R"({"type": "concat", "axis": 1})", Shape{2, 3}}};
  for (const auto& [spec, sample] : layers) NNPLUG_EXPECT_PASSES(check_layer_save_load(registry(), Params::Json::parse(spec), sample));
}

// The checks themselves can fail: an optimizer that forgets its step count on restore, one whose updates depend
// on their order, and a backend that gets an op wrong, are caught.
class ForgetfulAdam final : public Optimizer {
 public:
  ForgetfulAdam() : inner_(registry().create_optimizer(spec_params(R"({"type": "adam", "lr": 0.1})"))) {}
  std::string type() const override { return "forgetful_adam"; }
  void attach(const std::vector<Parameter*>& p) override { inner_->attach(p); }
  void step() override { inner_->step(); }
  double learning_rate() const override { return inner_->learning_rate(); }
  void set_learning_rate(double lr) override { inner_->set_learning_rate(lr); }
  std::vector<std::pair<std::string, Tensor>> state() override { return inner_->state(); }  // no step count

 private:
  std::shared_ptr<Optimizer> inner_;
};

TEST(ConformanceChecks, AMissingStepCountFailsTheRoundTrip) {
  const auto r = check_optimizer_state_round_trip([] { return std::make_unique<ForgetfulAdam>(); }, *reference_backend());
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("some state is missing"), std::string::npos) << r.detail;
}

// Says it steps in parts, but each update's size depends on how many parameters this step updated before it.
class OrderDependentSgd final : public Optimizer {
 public:
  std::string type() const override { return "order_dependent_sgd"; }
  void attach(const std::vector<Parameter*>& p) override { params_ = p; }
  void step() override {
    begin_step();
    for (std::size_t i = 0; i < params_.size(); ++i) step_parameters({i});
  }
  bool steps_in_parts() const override { return true; }
  void begin_step() override { updated_ = 0; }
  void step_parameters(const std::vector<std::size_t>& positions) override {
    for (const std::size_t i : positions)
      params_[i]->value.backend().run(op::Axpby{params_[i]->grad, params_[i]->value, -0.1 / static_cast<double>(++updated_), 1.0});
  }
  double learning_rate() const override { return 0.1; }
  void set_learning_rate(double) override {}

 private:
  std::vector<Parameter*> params_;
  int updated_ = 0;
};

TEST(ConformanceChecks, AnOptimizerWhoseUpdatesDependOnTheirOrderFailsTheStepsInParts) {
  const auto r = check_optimizer_steps_in_parts([] { return std::make_unique<OrderDependentSgd>(); }, *reference_backend());
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("keep steps_in_parts() false"), std::string::npos) << r.detail;
  // ForgetfulAdam keeps Optimizer's default: it steps whole only, which passes.
  const auto whole = check_optimizer_steps_in_parts([] { return std::make_unique<ForgetfulAdam>(); }, *reference_backend());
  EXPECT_TRUE(whole.passed);
  EXPECT_NE(whole.detail.find("steps whole only"), std::string::npos) << whole.detail;
}

TEST(ConformanceChecks, TheCpuBackendPassesParityWithItselfAndAWrongOpFails) {
  auto be = reference_backend();
  for (const auto& r : check_backend_parity(*be, *be, DType::Float64)) NNPLUG_EXPECT_PASSES(r);
  // A backend whose relu is wrong: every op goes to the CPU backend except Activation(Relu), which leaks 0.1 x.
  class LeakyEverywhere final : public test::ForwardingBackend {
   public:
    using ForwardingBackend::ForwardingBackend;
    void run(const Op& op) override {
      if (const auto* a = std::get_if<op::Activation>(&op); a && a->fn == Pointwise::Relu)
        return inner_->run(op::Activation{a->x, a->y, Pointwise::LeakyRelu, 0.1});
      inner_->run(op);
    }
  };
  LeakyEverywhere wrong("wrong", be);
  int failed = 0;
  for (const auto& r : check_backend_parity(wrong, *be, DType::Float64))
    if (!r.passed) {
      ++failed;
      EXPECT_EQ(r.check, "wrong activation 1 (float64)");
    }
  EXPECT_EQ(failed, 1);
}

// A gradient that is 0, with an objective whose last bit rounding moves (20, or the next double up, call by call:
// a centred difference of 1.8e-10, over the relative tolerance's floor of 1e-10), passes; a small wrong one, above
// that rounding, still fails.
TEST(ConformanceChecks, AZeroGradientWithinTheDifferencesRoundingPassesAndASmallWrongOneFails) {
  auto be = reference_backend();
  Tensor x = be->empty(Shape{8}, DType::Float64);
  from_host(x, random_normal(8, 3));
  int calls = 0;
  const auto objective = [&] { return ++calls % 2 ? std::nextafter(20.0, 21.0) : 20.0; };
  CheckResult zero{"zero"}, wrong{"wrong"};
  compare_with_centred_differences(x, std::vector<double>(8, 0.0), objective, "x", {}, zero);
  compare_with_centred_differences(x, std::vector<double>(8, 1e-6), objective, "x", {}, wrong);
  EXPECT_TRUE(zero.passed) << zero.detail;
  EXPECT_FALSE(wrong.passed);
  EXPECT_EQ(wrong.failures, 8);
}

}  // namespace
}  // namespace nnplug::conformance
