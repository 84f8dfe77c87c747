// Plugins against PyTorch 1.13 on fixed inputs: activations, losses, optimizers over five steps (on the case's
// values and on many copies of them), schedules,
// convolution, pooling and layer norm layers.
// The reference values come from tests/fixtures/make_torch_reference.py (committed with its output), so the
// tests need no PyTorch. Tolerances: 1e-6 relative in float64, 1e-4 in float32 (the issue's), relative to
// max(|reference|, 1e-3) so that values near zero are held to an absolute bound instead.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <optional>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/callbacks.hpp"
#include "nnplug/framework/experiment.hpp"
#include "test_support.hpp"
#include "torch_reference.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

std::vector<double> numbers(const Json& j) { return j.get<std::vector<double>>(); }
std::string name_of(const Json& spec) { return spec.is_string() ? spec.get<std::string>() : spec.dump(); }

// Relative to each value, and to at least a hundredth of the largest: a sum's rounding error scales with its terms,
// so a value that cancels to near zero (attention's key bias gradient, zero in exact arithmetic) carries the
// error of its terms.
void expect_close(const std::vector<double>& got, const std::vector<double>& want, DType dtype, const std::string& what) {
  const double rel = dtype == DType::Float64 ? 1e-6 : 1e-4;
  ASSERT_EQ(got.size(), want.size()) << what;
  double largest = 0.0;
  for (double w : want) largest = std::max(largest, std::abs(w));
  const double floor = std::max(1e-3, 1e-2 * largest);
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * std::max(std::abs(want[i]), floor)) << what << " [" << i << "]";
}

// `count` copies of values, one after another: a large tensor whose every copy must compute as the case.
std::vector<double> repeated(const std::vector<double>& values, std::int64_t count) {
  std::vector<double> out;
  for (std::int64_t k = 0; k < count; ++k) out.insert(out.end(), values.begin(), values.end());
  return out;
}

class TorchReference : public ::testing::TestWithParam<DType> {};

TEST_P(TorchReference, Activations) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["activations"]) {
    ActivationLayer layer(registry().create_activation(Params("test", c["spec"])));
    layer.build(Shape{6}, BuildContext{*be, dtype});
    Tensor x = tensor(*be, Shape{4, 6}, numbers(c["x"]), dtype);
    expect_close(to_host<double>(layer.forward(x)), numbers(c["y"]), dtype, fmt::format("{} y", name_of(c["spec"])));
    Tensor dy = tensor(*be, Shape{4, 6}, numbers(c["dy"]), dtype);
    expect_close(to_host<double>(layer.backward(dy, true)), numbers(c["dx"]), dtype, fmt::format("{} dx", name_of(c["spec"])));
  }
}

// The same cases on 2,000 copies of the batch (8,000 rows, 48,000 values), where the kernels split the values or the
// rows between threads: every copy as the case.
TEST_P(TorchReference, ActivationsOnManyCopiesOfTheBatch) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  const auto copies = [](const std::vector<double>& values) { return repeated(values, 2000); };
  for (const auto& c : torch_reference()["activations"]) {
    ActivationLayer layer(registry().create_activation(Params("test", c["spec"])));
    layer.build(Shape{6}, BuildContext{*be, dtype});
    Tensor x = tensor(*be, Shape{8000, 6}, copies(numbers(c["x"])), dtype);
    expect_close(to_host<double>(layer.forward(x)), copies(numbers(c["y"])), dtype, fmt::format("{} y, 2,000 copies", name_of(c["spec"])));
    Tensor dy = tensor(*be, Shape{8000, 6}, copies(numbers(c["dy"])), dtype);
    expect_close(to_host<double>(layer.backward(dy, true)), copies(numbers(c["dx"])), dtype, fmt::format("{} dx, 2,000 copies", name_of(c["spec"])));
  }
}

TEST_P(TorchReference, Losses) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["losses"]) {
    auto loss = registry().create_loss(Params("test", c["spec"]));
    const Shape shape(c["shape"].get<std::vector<std::int64_t>>());
    Tensor pred = tensor(*be, shape, numbers(c["pred"]), dtype);
    Tensor target = c.contains("labels") ? tensor(*be, Shape{shape[0]}, numbers(c["labels"]), DType::Int32)
                                         : tensor(*be, shape, numbers(c["target"]), dtype);
    Tensor value = be->empty(Shape{1}, dtype), grad = be->empty(shape, dtype);
    loss->compute(pred, target, value, grad);
    expect_close(to_host<double>(value), {c["loss"].get<double>()}, dtype, fmt::format("{} loss", name_of(c["spec"])));
    expect_close(to_host<double>(grad), numbers(c["grad"]), dtype, fmt::format("{} grad", name_of(c["spec"])));
  }
}

TEST_P(TorchReference, OptimizersOverFiveSteps) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["optimizers"]) {
    const auto w0 = numbers(c["w0"]);
    // A vector, or the case's shape where the rule depends on it (Adafactor factors a matrix).
    const Shape shape = c.contains("shape") ? Shape(c["shape"].get<std::vector<std::int64_t>>()) : Shape{static_cast<std::int64_t>(w0.size())};
    Parameter w{"w", tensor(*be, shape, w0, dtype), be->empty(shape, dtype)};
    auto opt = registry().create_optimizer(Params("test", c["spec"]));
    opt->attach({&w});
    for (std::size_t k = 0; k < c["grads"].size(); ++k) {
      from_host(w.grad, numbers(c["grads"][k]));
      opt->step();
      expect_close(to_host<double>(w.value), numbers(c["after"][k]), dtype,
                   fmt::format("{} after step {}", name_of(c["spec"]), k + 1));
    }
  }
}

// The same cases on a parameter of 2,050 copies of the case's values along its first axis (10,250 elements and
// more): the CPU kernels split it between threads in chunks, and every copy must step as the case does. Where the
// rule takes statistics of the whole tensor (LAMB's and LARS's trust ratios, Adafactor's row and column means and
// its RMS), copies leave them as they were.
TEST_P(TorchReference, OptimizersStepEveryCopyOfALargeParameterAsTheCase) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  constexpr std::int64_t kCopies = 2050;
  const auto copies = [](const std::vector<double>& values) { return repeated(values, kCopies); };
  for (const auto& c : torch_reference()["optimizers"]) {
    const auto w0 = copies(numbers(c["w0"]));
    Shape shape = c.contains("shape") ? Shape(c["shape"].get<std::vector<std::int64_t>>()) : Shape{static_cast<std::int64_t>(w0.size()) / kCopies};
    shape[0] *= kCopies;
    Parameter w{"w", tensor(*be, shape, w0, dtype), be->empty(shape, dtype)};
    auto opt = registry().create_optimizer(Params("test", c["spec"]));
    opt->attach({&w});
    for (std::size_t k = 0; k < c["grads"].size(); ++k) {
      from_host(w.grad, copies(numbers(c["grads"][k])));
      opt->step();
      expect_close(to_host<double>(w.value), copies(numbers(c["after"][k])), dtype,
                   fmt::format("{} ({} copies of {}) after step {}", name_of(c["spec"]), kCopies, c.value("shape", Json::array()).dump(), k + 1));
    }
  }
}

// Every parameter's gradient against the case's "d" + its name.
void expect_parameter_grads(Layer& layer, const Json& c, DType dtype, const std::string& name) {
  for (Parameter* p : layer.parameters())
    expect_close(to_host<double>(p->grad), numbers(c[fmt::format("d{}", p->name)]), dtype, fmt::format("{} d{}", name, p->name));
}

TEST_P(TorchReference, ConvolutionPoolingAndLayerNormForwardAndBackward) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["conv_and_pool"]) {
    const std::string name = name_of(c["spec"]);
    auto layer = registry().create_layer(Params("test", c["spec"]));
    const Shape shape(c["shape"].get<std::vector<std::int64_t>>());
    const Shape out = layer->build(shape.without_batch(), BuildContext{*be, dtype});
    for (Parameter* p : layer->parameters()) from_host(p->value, numbers(c[p->name]));
    Tensor x = tensor(*be, shape, numbers(c["x"]), dtype);
    expect_close(to_host<double>(layer->forward(x)), numbers(c["y"]), dtype, fmt::format("{} y", name));
    Tensor dy = tensor(*be, out.with_batch(shape[0]), numbers(c["dy"]), dtype);
    expect_close(to_host<double>(layer->backward(dy, true)), numbers(c["dx"]), dtype, fmt::format("{} dx", name));
    expect_parameter_grads(*layer, c, dtype, name);
  }
}

// multi_head_attention with cross: PyTorch's mha(query, memory, memory), causal and with a key padding mask too.
TEST_P(TorchReference, CrossAttentionForwardAndBackward) {
  const DType dtype = GetParam();
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["cross_attention"]) {
    const std::string name = name_of(c["spec"]);
    auto layer = registry().create_layer(Params("test", c["spec"]));
    const Shape query(c["query_shape"].get<std::vector<std::int64_t>>()), memory(c["memory_shape"].get<std::vector<std::int64_t>>());
    std::vector<Shape> samples{query.without_batch(), memory.without_batch()};
    std::vector<Tensor> inputs{tensor(*be, query, numbers(c["query"]), dtype), tensor(*be, memory, numbers(c["memory"]), dtype)};
    if (c.contains("ids")) {
      samples.push_back(Shape{memory[1]});
      inputs.push_back(tensor(*be, Shape{memory[0], memory[1]}, numbers(c["ids"]), dtype));
    }
    const Shape out = layer->build_merge(samples, BuildContext{*be, dtype});
    for (Parameter* p : layer->parameters()) from_host(p->value, numbers(c[p->name]));
    expect_close(to_host<double>(layer->forward_merge(inputs)), numbers(c["y"]), dtype, fmt::format("{} y", name));
    const auto& grads = layer->backward_merge(tensor(*be, out.with_batch(query[0]), numbers(c["dy"]), dtype));
    expect_close(to_host<double>(grads[0]), numbers(c["dquery"]), dtype, fmt::format("{} dquery", name));
    expect_close(to_host<double>(grads[1]), numbers(c["dmemory"]), dtype, fmt::format("{} dmemory", name));
    expect_parameter_grads(*layer, c, dtype, name);
  }
}

INSTANTIATE_TEST_SUITE_P(BothDtypes, TorchReference, ::testing::Values(DType::Float64, DType::Float32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// PyTorch's scheduler was stepped once per epoch, so an epoch is also one optimizer step (one_cycle counts steps).
TEST(TorchReferenceSchedules, LearningRatePerEpoch) {
  for (const auto& c : torch_reference()["schedules"]) {
    auto schedule = registry().create_schedule(Params("test", c["spec"]));
    const auto want = numbers(c["lr_per_epoch"]);
    for (std::size_t e = 0; e < want.size(); ++e) {
      const auto t = static_cast<std::int64_t>(e);
      EXPECT_NEAR(schedule->learning_rate(c["base_lr"].get<double>(), t, t), want[e], 1e-12) << name_of(c["spec"]) << " epoch " << e;
    }
    // one_cycle's momentum, where PyTorch cycled it (SGD's momentum; the Adams' beta1 takes the same values).
    const auto momenta = c.contains("momentum_per_epoch") ? numbers(c["momentum_per_epoch"]) : std::vector<double>{};
    for (std::size_t e = 0; e < want.size(); ++e) {
      const auto t = static_cast<std::int64_t>(e);
      const std::optional<double> momentum = schedule->momentum(t, t);
      ASSERT_EQ(momentum.has_value(), !momenta.empty()) << name_of(c["spec"]);
      if (momentum) {
        EXPECT_NEAR(*momentum, momenta[e], 1e-12) << name_of(c["spec"]) << " momentum, epoch " << e;
      }
    }
  }
}

// reduce_lr_on_plateau fed the validation values PyTorch's ReduceLROnPlateau was stepped with: the rate of each
// epoch, from a base rate of 1.
TEST(TorchReferenceSchedules, ReduceLrOnPlateauLowersTheRateAsPyTorchDoes) {
  for (const auto& c : torch_reference()["plateau"]) {
    const Params::Json spec{{"data", {{"format", "xor_blobs"}, {"samples", 8}, {"validation_split", 0.25}}}, {"layers", Params::Json::array({{{"type", "dense"}, {"units", 2}}})},
                            {"loss", "softmax_cross_entropy"}, {"optimizer", {{"type", "sgd"}, {"lr", 1.0}}},
                            {"callbacks", Params::Json::array({c["spec"]})}};
    Experiment ex = build_experiment(parse_spec(spec.dump(), "spec.json"), registry());
    Callback& plateau = *ex.fit.callbacks.at(0);
    const bool accuracy = c["spec"].value("monitor", "val_loss") == "val_accuracy";
    const auto values = numbers(c["values"]), want = numbers(c["lr_per_epoch"]);
    for (std::size_t e = 0; e < values.size(); ++e) {
      EpochRecord r;
      r.epoch = static_cast<int>(e + 1);
      r.learning_rate = plateau.adjust_learning_rate(1.0);
      EXPECT_NEAR(r.learning_rate, want[e], 1e-12) << name_of(c["spec"]) << " epoch " << e + 1;
      r.has_validation = true;
      r.validation = {accuracy ? 0.5 : values[e], accuracy ? values[e] : 0.5, ScoreKind::Accuracy};
      EXPECT_TRUE(plateau.on_epoch_end(r, *ex.model));
    }
  }
}

// Schedules PyTorch does not have, against their closed forms.
TEST(Schedules, ConstantKeepsTheBaseRate) {
  auto constant = registry().create_schedule(Params("test", "constant"));
  EXPECT_EQ(constant->learning_rate(0.02, 7, 1000), 0.02);
}

TEST(Schedules, InverseTimeAndInverseSqrt) {
  auto per_step = registry().create_schedule(Params("test", {{"type", "inverse_time"}, {"decay", 0.01}}));
  EXPECT_DOUBLE_EQ(per_step->learning_rate(0.1, 3, 100), 0.1 / 2.0);
  auto per_epoch = registry().create_schedule(Params("test", {{"type", "inverse_time"}, {"decay", 0.5}, {"per", "epoch"}}));
  EXPECT_DOUBLE_EQ(per_epoch->learning_rate(0.1, 4, 100), 0.1 / 3.0);
  auto inv_sqrt = registry().create_schedule(Params("test", "inverse_sqrt"));
  EXPECT_DOUBLE_EQ(inv_sqrt->learning_rate(0.3, 0, 0), 0.3);
  EXPECT_DOUBLE_EQ(inv_sqrt->learning_rate(0.3, 3, 0), 0.15);
}

// What PyTorch's fixtures do not cover: the step clocks, and one_cycle after its last step.
TEST(Schedules, StepClocksAndTheEndOfTheCycle) {
  auto multi_step = registry().create_schedule(Params("test", {{"type", "multi_step"}, {"milestones", {100, 200}}, {"per", "step"}}));
  EXPECT_DOUBLE_EQ(multi_step->learning_rate(1.0, 0, 99), 1.0);
  EXPECT_DOUBLE_EQ(multi_step->learning_rate(1.0, 0, 200), 0.01);
  auto polynomial = registry().create_schedule(Params("test", {{"type", "polynomial"}, {"total_iters", 100}, {"per", "step"}}));
  EXPECT_DOUBLE_EQ(polynomial->learning_rate(0.2, 9, 25), 0.15);
  EXPECT_DOUBLE_EQ(polynomial->learning_rate(0.2, 9, 500), 0.0);
  // The third cycle (10 + 20 steps in) is 40 steps long: a quarter into it, (1 + cos(pi / 4)) / 2 of the rate.
  auto restarts = registry().create_schedule(Params("test", {{"type", "cosine_warm_restarts"}, {"T_0", 10}, {"T_mult", 2}, {"per", "step"}}));
  EXPECT_DOUBLE_EQ(restarts->learning_rate(1.0, 0, 40), (1.0 + std::cos(std::numbers::pi / 4.0)) / 2.0);
  // Warmup over 100 steps, then a cosine over 1000: each child's clock is the steps since its milestone.
  auto sequential = registry().create_schedule(Params("test", Params::Json::parse(R"({"type": "sequential", "per": "step", "milestones": [100],
      "schedules": [{"type": "linear_warmup", "start_factor": 0.5, "total_iters": 100, "per": "step"}, {"type": "cosine", "T_max": 1000}]})")));
  EXPECT_DOUBLE_EQ(sequential->learning_rate(0.2, 0, 50), 0.2 * 0.75);
  EXPECT_DOUBLE_EQ(sequential->learning_rate(0.2, 0, 600), 0.1);
  auto one_cycle = registry().create_schedule(Params("test", {{"type", "one_cycle"}, {"total_steps", 10}}));
  EXPECT_DOUBLE_EQ(one_cycle->learning_rate(0.1, 0, 0), 0.1 / 25.0);
  EXPECT_DOUBLE_EQ(one_cycle->learning_rate(0.1, 5, 9), 0.1 / 25.0 / 1e4);
  EXPECT_DOUBLE_EQ(one_cycle->learning_rate(0.1, 5, 1000), 0.1 / 25.0 / 1e4);
}

TEST(Schedules, CyclesAndMilestonesThatCannotWorkAreRejected) {
  const auto refused = [](const Params::Json& spec) {
    try {
      registry().create_schedule(Params("schedule", spec));
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refused({{"type", "one_cycle"}, {"epochs", 3}}),
            "schedule needs total_steps, or epochs and steps_per_epoch: the number of optimizer steps the cycle spans");
  EXPECT_EQ(refused({{"type", "one_cycle"}, {"total_steps", 10}, {"pct_start", 0.05}}),
            "schedule: parameter 'pct_start' 0.05 of 10 steps leaves a phase of the cycle without steps");
  EXPECT_EQ(refused({{"type", "one_cycle"}, {"total_steps", 10}, {"pct_start", 0.55}, {"three_phase", true}}),
            "schedule: parameter 'pct_start' 0.55 of 10 steps leaves a phase of the cycle without steps");
  EXPECT_EQ(refused({{"type", "one_cycle"}, {"total_steps", 10}, {"base_momentum", 0.9}, {"max_momentum", 0.8}}),
            "schedule: parameter 'base_momentum' 0.9 is above max_momentum 0.8");
  EXPECT_EQ(refused({{"type", "one_cycle"}, {"total_steps", 10}, {"cycle_momentum", false}, {"max_momentum", 0.8}}),
            "schedule: parameter 'cycle_momentum' is false, so base_momentum and max_momentum have no use");
  EXPECT_EQ(refused({{"type", "cyclic"}}), "schedule: parameter 'max_lr' is required");
  EXPECT_EQ(refused({{"type", "cyclic"}, {"max_lr", 0.5}, {"gamma", 0.9}}), "schedule: parameter 'gamma' scales only mode \"exp_range\", not \"triangular\"");
  EXPECT_EQ(refused({{"type", "cyclic"}, {"max_lr", 0.5}, {"mode", "sawtooth"}}),
            "schedule: parameter 'mode' must be \"triangular\", \"triangular2\" or \"exp_range\", got \"sawtooth\"");
  EXPECT_EQ(refused({{"type", "cyclic"}, {"max_lr", 0.5}, {"step_size_up", 0}}), "schedule: parameter 'step_size_up' must be in [1, 1099511627776], got 0");
  EXPECT_EQ(refused({{"type", "multi_step"}, {"milestones", {5, 3}}}),
            "schedule: parameter 'milestones' must be whole numbers of epochs (or steps) from 1, in increasing order");
  EXPECT_EQ(refused({{"type", "multi_step"}}),
            "schedule: parameter 'milestones' is required: the epochs at which the rate is multiplied by gamma");
  EXPECT_EQ(refused({{"type", "sequential"}, {"schedules", {"constant"}}}),
            "schedule: parameter 'schedules' must list two schedules or more, run one after another");
  EXPECT_EQ(refused({{"type", "sequential"}, {"schedules", {"constant", {{"type", "step"}, {"step_size", 2}}}}}),
            "schedule: parameter 'milestones' must give where each of the 1 schedules after the first takes over");
  EXPECT_EQ(refused({{"type", "sequential"}, {"schedules", {"constant", "constant", "constant"}}, {"milestones", {4, 4}}}),
            "schedule: parameter 'milestones' must be whole numbers from 1, increasing: where each schedule after the first takes over");
  EXPECT_EQ(refused({{"type", "sequential"}, {"schedules", {"constant", {{"type", "cosine"}}}}, {"milestones", {4}}}),
            "schedule schedules[1]: parameter 'T_max' is required");
  EXPECT_EQ(refused({{"type", "cosine_warm_restarts"}, {"T_0", 5}, {"per", "batch"}}),
            "schedule: parameter 'per' must be \"step\" or \"epoch\", got \"batch\"");
}

TEST(Schedules, ParametersThatCouldGiveANegativeRateAreRejected) {
  try {
    registry().create_schedule(Params("schedule", {{"type", "exponential"}, {"gamma", -0.5}}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "schedule: parameter 'gamma' must be >= 0, got -0.5");
  }
  EXPECT_THROW(registry().create_schedule(Params("schedule", {{"type", "inverse_time"}, {"decay", -1}})), InvalidArgument);
  EXPECT_THROW(registry().create_schedule(Params("schedule", {{"type", "cosine"}, {"T_max", 10}, {"eta_min", -0.1}})),
               InvalidArgument);
  EXPECT_THROW(registry().create_schedule(Params("schedule", {{"type", "linear_warmup"}, {"start_factor", 0}})),
               InvalidArgument);
}

}  // namespace
}  // namespace nnplug::test
