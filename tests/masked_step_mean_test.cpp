// global_avg_pool1d's "mask_zero": steps whose values are all zero (an embedding's padding rows) are left out of the
// mean as Keras's GlobalAveragePooling1D leaves out an Embedding(mask_zero=True)'s masked steps. A closed form with
// masked steps, in both layouts, and a float64 gradient check where no step is masked (finite differences would
// unmask a masked step: the mask is a step function of the input).
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> masked_pool(const char* data_format) {
  return registry().create_layer(Params("test", {{"type", "global_avg_pool1d"}, {"data_format", data_format}, {"mask_zero", true}}));
}

TEST(MaskedStepMean, LeavesStepsThatAreAllZeroOutOfTheMeanAndTheirGradient) {
  auto be = cpu_backend();
  // Sample 0, channels last (3 steps of 2 channels): step 1 is padding. Sample 1: every step is padding.
  const std::vector<double> x{1, 2, 0, 0, 3, -6, /* sample 1 */ 0, 0, 0, 0, 0, 0};
  for (const bool last : {true, false}) {
    auto layer = masked_pool(last ? "channels_last" : "channels_first");
    ASSERT_EQ(layer->build(last ? Shape{3, 2} : Shape{2, 3}, BuildContext{*be, DType::Float64}), Shape{2});
    // Channels first holds the same steps transposed: (channel, step).
    std::vector<double> input = x;
    if (!last)
      for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t t = 0; t < 3; ++t)
          for (std::size_t c = 0; c < 2; ++c) input[n * 6 + c * 3 + t] = x[n * 6 + t * 2 + c];
    const Tensor xt = tensor(*be, last ? Shape{2, 3, 2} : Shape{2, 2, 3}, input);
    EXPECT_EQ(to_host<double>(layer->forward(xt)), (std::vector<double>{(1 + 3) / 2.0, (2 - 6) / 2.0, 0, 0})) << (last ? "last" : "first");
    const std::vector<double> dx = to_host<double>(layer->backward(tensor(*be, Shape{2, 2}, {4, 8, 5, 5}), true));
    // Each unmasked step takes dy / 2; the padding step and the all-padding sample take nothing.
    std::vector<double> want{2, 4, 0, 0, 2, 4, 0, 0, 0, 0, 0, 0};
    if (!last) want = {2, 0, 2, 4, 0, 4, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(dx, want) << (last ? "last" : "first");
  }
}

TEST(MaskedStepMean, PassesTheGradientCheckWhereNoStepIsMasked) {
  for (const char* format : {"channels_last", "channels_first"}) {
    auto layer = masked_pool(format);
    const auto result = conformance::check_layer_gradient(*layer, *cpu_backend(), Shape{5, 4}, 3, random_normal(60, 31));
    EXPECT_TRUE(result.passed) << format << ": " << result.check << ": " << result.detail;
  }
}

TEST(MaskedStepMean, IsRefusedWhereTheLayerHasNoMask) {
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", {{"type", "global_max_pool1d"}, {"mask_zero", true}})); }),
            "test: unknown parameter 'mask_zero' (it takes: data_format, type)");
}

}  // namespace
}  // namespace nnplug::test
