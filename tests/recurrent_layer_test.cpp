// The recurrent layers (lstm, gru, rnn): float64 gradient checks back through time, one way and both ways, stacked
// and with dropout between the layers, and their shape and parameter refusals. Their PyTorch parity is in
// torch_reference_test.cpp.
//
// Their "mask_zero": a step whose inputs are all zero is skipped, as PyTorch skips the padding of a
// packed sequence (the parity with PyTorch's pack_padded_sequence is in torch_reference_test.cpp) and Keras skips a
// masked step anywhere in a sequence: with zero steps put in front, between and after its steps, a sequence gives
// the outputs it gives without them, and zeros at the skipped steps. And the float64 gradient check of the weights
// with skipped steps (not of the input: a finite difference would make a skipped step count).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> recurrent(const char* type, Params::Json more = Params::Json::object()) {
  Params::Json spec = {{"type", type}, {"units", 3}, {"mask_zero", true}};
  spec.update(more);
  return registry().create_layer(Params("test", spec));
}

// 2 sequences of 3 steps of 2 features, and the same with zero steps at 0 and 3 and at the end: steps (0, 1, 2)
// stand at (1, 2, 4) of 6.
const std::vector<double> kCompact{0.5, -1, 2, 0.25, -0.75, 1.5, /* sample 1 */ -2, 1, 0.3, 0.8, 1.1, -0.4};
constexpr std::size_t kAt[] = {1, 2, 4};
std::vector<double> with_zero_steps() {
  std::vector<double> x(2 * 6 * 2, 0.0);
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t t = 0; t < 3; ++t)
      for (std::size_t f = 0; f < 2; ++f) x[(n * 6 + kAt[t]) * 2 + f] = kCompact[(n * 3 + t) * 2 + f];
  return x;
}

// The same random weights in both layers.
void same_weights(Layer& a, Layer& b) {
  const auto parameters = a.parameters(), same = b.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto values = random_normal(static_cast<std::size_t>(parameters[i]->value.numel()), 50 + i);
    from_host(parameters[i]->value, values), from_host(same[i]->value, values);
  }
}

TEST(RecurrentMask, AZeroStepAnywhereIsSkippedAsIfItWereNotThere) {
  auto be = cpu_backend();
  for (const char* type : {"lstm", "gru", "rnn"})
    for (const bool both_ways : {false, true}) {
      const std::string what = fmt::format("{}{}", type, both_ways ? " bidirectional" : "");
      const Params::Json more = {{"bidirectional", both_ways}, {"return_sequences", true}};
      auto compact = recurrent(type, more), gapped = recurrent(type, more);
      const Shape out = compact->build(Shape{3, 2}, BuildContext{*be, DType::Float64});
      gapped->build(Shape{6, 2}, BuildContext{*be, DType::Float64});
      same_weights(*compact, *gapped);
      const auto y = to_host<double>(compact->forward(tensor(*be, Shape{2, 3, 2}, kCompact)));
      const auto gapped_y = to_host<double>(gapped->forward(tensor(*be, Shape{2, 6, 2}, with_zero_steps())));
      const auto width = static_cast<std::size_t>(out[1]);
      std::vector<double> want(2 * 6 * width, 0.0);  // the compact outputs at their steps, zeros at the skipped ones
      for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t t = 0; t < 3; ++t)
          for (std::size_t u = 0; u < width; ++u) want[(n * 6 + kAt[t]) * width + u] = y[(n * 3 + t) * width + u];
      ASSERT_EQ(gapped_y.size(), want.size()) << what;
      for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(gapped_y[i], want[i], 1e-14) << what << " [" << i << "]";
    }
}

TEST(RecurrentMask, TheFinalStateIsThatOfTheLastStepThatCounts) {
  auto be = cpu_backend();
  for (const char* type : {"lstm", "gru", "rnn"}) {
    auto compact = recurrent(type), gapped = recurrent(type);
    compact->build(Shape{3, 2}, BuildContext{*be, DType::Float64});
    gapped->build(Shape{6, 2}, BuildContext{*be, DType::Float64});
    same_weights(*compact, *gapped);
    const auto h = to_host<double>(compact->forward(tensor(*be, Shape{2, 3, 2}, kCompact)));
    const auto gapped_h = to_host<double>(gapped->forward(tensor(*be, Shape{2, 6, 2}, with_zero_steps())));
    ASSERT_EQ(h.size(), gapped_h.size()) << type;
    for (std::size_t i = 0; i < h.size(); ++i) EXPECT_NEAR(gapped_h[i], h[i], 1e-14) << type << " [" << i << "]";
  }
}

TEST(RecurrentMask, TheWeightsPassTheGradientCheckWithSkippedSteps) {
  conformance::GradientCheckOptions options;
  options.check_input = false;
  for (const char* type : {"lstm", "gru", "rnn"})
    for (const bool both_ways : {false, true})
      for (const bool sequences : {false, true}) {
        auto layer = recurrent(type, {{"bidirectional", both_ways}, {"return_sequences", sequences}});
        std::vector<double> x = with_zero_steps();
        const auto result = conformance::check_layer_gradient(*layer, *cpu_backend(), Shape{6, 2}, 2, x, {}, options);
        EXPECT_TRUE(result.passed) << type << (both_ways ? " bidirectional" : "") << (sequences ? " return_sequences" : "") << ": "
                                   << result.check << ": " << result.detail;
      }
}

// Back through time: the last step's output, every step's, without biases, and both ways; each parameter's gradient
// sums 4 steps. The same configurations of a gated layer (lstm, gru), on inputs drawn from `seed`.
void check_gated_through_time(const char* type, std::uint64_t seed) {
  for (const char* fields : {R"("units": 3)", R"("units": 3, "return_sequences": true)", R"("units": 2, "bidirectional": true)",
                             R"("units": 2, "bidirectional": true, "return_sequences": true)",
                             R"("units": 2, "bias": false, "weight_init": {"type": "normal", "std": 0.8})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(fmt::format(R"({{"type": "{}", {}}})", type, fields))));
    check_layer(*layer, Shape{4, 5}, 3, random_normal(60, seed));
  }
}

TEST(GradientCheck, LstmThroughTime) { check_gated_through_time("lstm", 17); }

// Stacked layers (num_layers): each layer back through time and into the layer below, one way and both ways.
TEST(GradientCheck, StackedRecurrentLayers) {
  for (const char* json : {R"({"type": "lstm", "units": 3, "num_layers": 2, "return_sequences": true})",
                           R"({"type": "gru", "units": 2, "num_layers": 2, "bidirectional": true})",
                           R"({"type": "rnn", "units": 2, "num_layers": 3})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{4, 5}, 3, random_normal(60, 23));
  }
}

TEST(GradientCheck, StackedRecurrentLayersDropBetweenThemUnderOneMask) {
  auto stacked = [] {
    return registry().create_layer(Params("test", Params::Json::parse(R"({"type": "lstm", "units": 4, "num_layers": 2, "dropout": 0.5})")));
  };
  FixedMask layer(stacked());
  check_layer(layer, Shape{4, 5}, 3, random_normal(60, 29));
  // The mask is there: in training the output differs from eval mode's, with the same weights.
  auto training = stacked(), eval = stacked();
  auto be = cpu_backend();
  for (auto* l : {training.get(), eval.get()}) l->build(Shape{4, 5}, BuildContext{*be, DType::Float64});
  for (std::size_t i = 0; i < training->parameters().size(); ++i) {
    const auto values = random_normal(static_cast<std::size_t>(training->parameters()[i]->value.numel()), 31 + i);
    from_host(training->parameters()[i]->value, values), from_host(eval->parameters()[i]->value, values);
  }
  eval->set_training(false);
  const Tensor x = tensor(*be, Shape{3, 4, 5}, random_normal(60, 37));
  EXPECT_NE(to_host<double>(training->forward(x)), to_host<double>(eval->forward(x)));
  EXPECT_EQ(training->counters(), std::vector<std::uint64_t>{1});  // one draw: between the two layers
}

TEST(StackedRecurrentLayers, DropoutIsBetweenLayersAndAProbability) {
  const auto error = [](const char* json) { return error_of([&] { registry().create_layer(Params("lstm", Params::Json::parse(json))); }); };
  EXPECT_EQ(error(R"({"type": "lstm", "units": 2, "dropout": 0.2})"),
            "lstm: parameter 'dropout' is PyTorch's, between stacked layers, and needs num_layers of 2 or more (a dropout layer before this one "
            "drops its inputs, as Keras's dropout does)");
  EXPECT_EQ(error(R"({"type": "gru", "units": 2, "num_layers": 2, "dropout": 1})"),
            "lstm: parameter 'dropout' must be in [0, 1) (the probability of dropping), got 1");
  EXPECT_THAT(error(R"({"type": "rnn", "units": 2, "num_layers": 0})"), ::testing::HasSubstr("num_layers"));
}

TEST(GradientCheck, GruThroughTime) { check_gated_through_time("gru", 19); }

// The plain recurrent layer, with both of PyTorch's nonlinearities.
TEST(GradientCheck, RnnThroughTime) {
  for (const char* json : {R"({"type": "rnn", "units": 3})", R"({"type": "rnn", "units": 3, "return_sequences": true, "nonlinearity": "relu"})",
                           R"({"type": "rnn", "units": 2, "bidirectional": true})",
                           R"({"type": "rnn", "units": 2, "bias": false, "weight_init": {"type": "normal", "std": 0.8}})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{4, 5}, 3, random_normal(60, 29));
  }
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", {{"type", "rnn"}, {"units", 2}, {"nonlinearity", "sigmoid"}})); }),
            "test: parameter 'nonlinearity' must be \"tanh\" or \"relu\", got \"sigmoid\"");
}

TEST(LstmShapes, ASequencePerSampleIsRequired) {
  auto be = cpu_backend();
  auto lstm = registry().create_layer(Params("test", {{"type", "lstm"}, {"units", 4}}));
  EXPECT_EQ(error_of([&] { lstm->build(Shape{784}, BuildContext{*be, DType::Float32}); }),
            "lstm expects a sequence per sample, [steps, features], got [784] (a reshape layer makes one: an image's rows are 28 steps of "
            "28 features)");
  EXPECT_EQ(lstm->build(Shape{28, 28}, BuildContext{*be, DType::Float32}), (Shape{4}));
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", {{"type", "lstm"}, {"units", std::int64_t{1} << 40}})); }),
            "test: parameter 'units' must be in [1, 1073741824], got 1099511627776");
}

}  // namespace
}  // namespace nnplug::test
