// The recurrent layers' "mask_zero": a step whose inputs are all zero is skipped, as PyTorch skips the padding of a
// packed sequence (the parity with PyTorch's pack_padded_sequence is in torch_reference_test.cpp) and Keras skips a
// masked step anywhere in a sequence: with zero steps put in front, between and after its steps, a sequence gives
// the outputs it gives without them, and zeros at the skipped steps. And the float64 gradient check of the weights
// with skipped steps (not of the input: a finite difference would make a skipped step count).
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

}  // namespace
}  // namespace nnplug::test
