// Float64 gradient checks (centred differences, by the conformance kit) of every layer and activation plugin, with
// the chapter's verdict: relative error |a - n| / max(|a|, |n|) below 1e-7 is correct. The recurrent layers' are in
// recurrent_layer_test.cpp, the losses' in loss_gradient_check_test.cpp.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_gradient_check.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using conformance::away_from_zero;

TEST(GradientCheck, Dense) {
  auto layer = registry().create_layer(Params("test", {{"type", "dense"}, {"units", 5}}));
  check_layer(*layer, Shape{7}, 4, random_normal(28, 1));
}

// On the last axis of a sample of any rank: each of a sequence's steps, with one weight.
TEST(GradientCheck, DenseOnEachStepOfASequence) {
  auto layer = registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}}));
  check_layer(*layer, Shape{4, 5}, 2, random_normal(40, 23));
  EXPECT_EQ(layer->parameters()[0]->value.shape(), (Shape{3, 5}));
}

TEST(GradientCheck, DenseWithoutBias) {
  auto layer = registry().create_layer(Params("test", {{"type", "dense"}, {"units", 3}, {"bias", false}}));
  check_layer(*layer, Shape{6}, 5, random_normal(30, 2));
  EXPECT_EQ(layer->parameters().size(), 1u);
}

class ActivationGradient : public ::testing::TestWithParam<const char*> {};

TEST_P(ActivationGradient, MatchesCenteredDifferences) {
  ActivationLayer layer(registry().create_activation(Params("test", GetParam())));
  check_layer(layer, Shape{6}, 4, away_from_zero(random_normal(24, 3)));
}

INSTANTIATE_TEST_SUITE_P(EveryActivation, ActivationGradient,
                         ::testing::Values("relu", "sigmoid", "tanh", "softmax", "identity", "leaky_relu", "elu", "selu",
                                           "silu", "swish", "gelu", "softplus", "relu6", "hard_sigmoid", "softsign", "celu",
                                           "hard_swish", "hard_silu", "log_sigmoid", "tanh_shrink", "soft_shrink", "hard_shrink",
                                           "hard_tanh", "exponential", "squareplus", "sparse_plus", "log_softmax"));

TEST(GradientCheck, ActivationParametersReachTheGradient) {
  for (const char* json : {R"({"type": "leaky_relu", "negative_slope": 0.3})", R"({"type": "elu", "alpha": 0.7})",
                           R"({"type": "softplus", "beta": 2.5})", R"({"type": "celu", "alpha": 0.5})",
                           R"({"type": "soft_shrink", "lambd": 0.3})", R"({"type": "hard_shrink", "lambd": 1.2})",
                           R"({"type": "gelu", "approximate": "tanh"})", R"({"type": "hard_tanh", "min_val": -0.5, "max_val": 2})",
                           R"({"type": "threshold", "threshold": 0.3, "value": -2})", R"({"type": "squareplus", "b": 0.5})"}) {
    ActivationLayer layer(registry().create_activation(Params("test", Params::Json::parse(json))));
    check_layer(layer, Shape{6}, 4, away_from_zero(random_normal(24, 13)));
  }
}

TEST(GradientCheck, PreluSharedSlope) {
  auto layer = registry().create_layer(Params("test", "prelu"));
  check_layer(*layer, Shape{6}, 4, away_from_zero(random_normal(24, 5)));
}

TEST(GradientCheck, PreluSlopePerChannel) {
  auto layer = registry().create_layer(Params("test", {{"type", "prelu"}, {"num_parameters", 3}}));
  check_layer(*layer, Shape{3, 2, 2}, 2, away_from_zero(random_normal(24, 6)));
}

TEST(GradientCheck, BatchNormPerFeatureInTraining) {
  auto layer = registry().create_layer(Params("test", "batch_norm"));
  check_layer(*layer, Shape{5}, 6, random_normal(30, 8));
}

TEST(GradientCheck, BatchNormPerChannelInTraining) {
  auto layer = registry().create_layer(Params("test", "batch_norm"));
  check_layer(*layer, Shape{3, 2, 2}, 4, random_normal(48, 9));
}

TEST(GradientCheck, BatchNormInEvalMode) {
  auto layer = registry().create_layer(Params("test", "batch_norm"));
  check_layer(*layer, Shape{4}, 5, random_normal(20, 10), [](Layer& l) {
    from_host(l.parameters()[3]->value, std::vector<double>{0.5, 1.5, 2.0, 0.8});  // running_var must be > 0
    l.set_training(false);
  });
}

TEST(GradientCheck, DropoutInEvalModeIsTheIdentity) {
  // Masks are random in training, so the check runs in eval mode, as the chapter says (dropout off).
  for (const char* kind : {"dropout", "gaussian_dropout", "alpha_dropout"}) {
    auto layer = registry().create_layer(Params("test", kind));
    check_layer(*layer, Shape{6}, 3, random_normal(18, 11), [](Layer& l) { l.set_training(false); });
  }
  for (const char* json : {R"("spatial_dropout")", R"({"type": "stochastic_depth", "rate": 0.2})"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{2, 3}, 3, random_normal(18, 11),
                [](Layer& l) { l.set_training(false); });
}

TEST(GradientCheck, Conv2dWithStridePaddingAndDilation) {
  for (const char* json : {R"({"type": "conv2d", "filters": 3, "kernel_size": 3})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": [3, 2], "stride": 2, "padding": 1})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "dilation": 2, "padding": "same"})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": 1, "bias": false})",
                           R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": 1, "groups": 2})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": [2, 3], "stride": 2, "groups": 2})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": [2, 1], "padding_mode": "reflect"})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2, "padding": 1, "padding_mode": "replicate"})",
                           R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "dilation": 2, "padding": "same", "padding_mode": "circular"})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{2, 6, 5}, 2, random_normal(120, 12));
  }
  // Large enough feature maps that the CPU backend runs one sample per GEMM; three samples, two threads.
  auto layer = registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 2}, {"kernel_size", 3}, {"padding", "same"}}));
  check_layer(*layer, Shape{1, 12, 12}, 3, random_normal(432, 14));
}

TEST(GradientCheck, Conv2dTransposeAndUpsampling) {
  for (const char* json : {R"({"type": "conv2d_transpose", "filters": 3, "kernel_size": 3})",
                           R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "stride": 2, "padding": "same"})",
                           R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": [2, 3], "stride": [2, 1], "dilation": [1, 2], "bias": false})",
                           R"({"type": "conv2d_transpose", "filters": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2})",
                           R"({"type": "upsample2d"})", R"({"type": "upsample2d", "scale_factor": [1, 3]})",
                           R"({"type": "upsample2d", "mode": "bilinear"})",
                           R"({"type": "upsample2d", "mode": "bilinear", "scale_factor": [3, 2], "align_corners": true})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{2, 4, 3}, 2, random_normal(48, 15));
  }
}

TEST(GradientCheck, Pooling) {
  // Max pooling routes each gradient to its window's maximum: distinct, well-separated inputs keep the finite
  // differences from swapping the maximum.
  std::vector<double> x(96);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 37) % 96) * 0.01;
  for (const char* json : {R"({"type": "max_pool2d"})", R"({"type": "max_pool2d", "pool_size": 3, "stride": 1, "padding": 1})",
                           R"({"type": "avg_pool2d"})", R"({"type": "avg_pool2d", "pool_size": [2, 3], "stride": 1})",
                           R"({"type": "global_avg_pool2d"})", R"({"type": "global_max_pool2d"})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{2, 4, 6}, 2, x);
  }
  // Odd sizes: the last row and column belong to no 2x2 window, and get no gradient.
  std::vector<double> odd(140);
  for (std::size_t i = 0; i < odd.size(); ++i) odd[i] = static_cast<double>((i * 53) % 140) * 0.01;
  check_layer(*registry().create_layer(Params("test", "max_pool2d")), Shape{2, 5, 7}, 2, odd);
}

// Sequences (channels, length), and (length, channels) for the layers that read Keras's layout.
TEST(GradientCheck, SequenceConvolutionsAndPooling) {
  for (const char* json : {R"({"type": "conv1d", "filters": 3, "kernel_size": 3})",
                           R"({"type": "conv1d", "filters": 2, "kernel_size": 2, "stride": 2, "padding": 1})",
                           R"({"type": "conv1d", "filters": 2, "kernel_size": 3, "dilation": 2, "padding": "same", "bias": false})",
                           R"({"type": "conv1d", "filters": 4, "kernel_size": 3, "groups": 2})",
                           R"({"type": "conv1d", "filters": 2, "kernel_size": 5, "padding": 3, "padding_mode": "circular"})",
                           R"({"type": "conv1d", "filters": 2, "kernel_size": 3, "padding": "same", "padding_mode": "reflect"})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{4, 9}, 2, random_normal(72, 19));
  }
  // Channels last (9 steps of 4 channels), and with a fused ReLU, whose gradient is taken in the output's layout.
  const Params::Json last = {{"type", "conv1d"}, {"filters", 4}, {"kernel_size", 3}, {"stride", 2}, {"groups", 2}, {"data_format", "channels_last"}};
  check_layer(*registry().create_layer(Params("test", last)), Shape{9, 4}, 2, random_normal(72, 19));
  check_layer(*registry().create_layer(Params("test", last)), Shape{9, 4}, 2, random_normal(72, 21),
              [](Layer& l) { EXPECT_TRUE(l.fuse_activation(*registry().create_activation(Params("relu", "relu")))); });
  check_layer(*registry().create_layer(Params("test", {{"type", "repeat_vector"}, {"n", 3}})), Shape{5}, 2, random_normal(10, 25));
  check_layer(*registry().create_layer(Params("test", {{"type", "glu"}, {"dim", 1}})), Shape{4, 9}, 2, random_normal(72, 26));
  check_layer(*registry().create_layer(Params("test", "glu")), Shape{3, 2, 4}, 2, random_normal(48, 27));
  // 40 samples of 8 x 64: enough outputs (10,240) that the kernels split them between threads.
  check_layer(*registry().create_layer(Params("test", {{"type", "glu"}, {"dim", 1}})), Shape{8, 64}, 40, random_normal(40 * 512, 29));
  check_layer(*registry().create_layer(Params("test", {{"type", "channel_shuffle"}, {"groups", 2}})), Shape{4, 9}, 2, random_normal(72, 28));
  // Overlapping windows (5 into 3): a value that is the largest of two windows takes both gradients.
  check_layer(*registry().create_layer(Params("test", {{"type", "adaptive_max_pool2d"}, {"output_size", {3, 2}}})), Shape{2, 5, 4}, 2,
              random_normal(80, 29));
  // Upsampled, nearest and linear, channels first and last.
  for (const char* json : {R"({"type": "upsample1d", "scale_factor": 3})", R"({"type": "upsample1d", "mode": "linear"})",
                           R"({"type": "upsample1d", "mode": "linear", "align_corners": true, "data_format": "channels_last"})"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{4, 9}, 2, random_normal(72, 24));
  // Transposed, channels first and last.
  for (const char* json : {R"({"type": "conv1d_transpose", "filters": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1})",
                           R"({"type": "conv1d_transpose", "filters": 4, "kernel_size": 2, "dilation": 2, "groups": 2, "bias": false})"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{4, 9}, 2, random_normal(72, 22));
  check_layer(*registry().create_layer(Params("test", {{"type", "conv1d_transpose"}, {"filters", 2}, {"kernel_size", 4}, {"stride", 2},
                                                       {"padding", "same"}, {"data_format", "channels_last"}})),
              Shape{9, 4}, 2, random_normal(72, 23));
  // Distinct, well-separated inputs, as for the 2-D poolings.
  std::vector<double> x(56);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 37) % 56) * 0.01;
  for (const char* json : {R"({"type": "max_pool1d"})", R"({"type": "max_pool1d", "pool_size": 3, "stride": 1, "padding": 1})",
                           R"({"type": "avg_pool1d", "pool_size": 3, "stride": 2, "padding": 1})",
                           R"({"type": "max_pool1d", "data_format": "channels_last"})",
                           R"({"type": "avg_pool1d", "pool_size": 2, "stride": 1, "data_format": "channels_last"})",
                           R"({"type": "global_avg_pool1d"})", R"({"type": "global_max_pool1d"})",
                           R"({"type": "global_avg_pool1d", "data_format": "channels_last"})",
                           R"({"type": "global_max_pool1d", "data_format": "channels_last"})"}) {
    auto layer = registry().create_layer(Params("test", Params::Json::parse(json)));
    check_layer(*layer, Shape{4, 7}, 2, x);
  }
}

TEST(GradientCheck, Permute) {
  for (const char* json : {R"({"type": "permute", "dims": [2, 1, 3]})", R"({"type": "permute", "dims": [3, 1, 2]})"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{3, 4, 2}, 2, random_normal(48, 22));
}

TEST(GradientCheck, Flatten) {
  auto layer = registry().create_layer(Params("test", "flatten"));
  check_layer(*layer, Shape{2, 3, 2}, 3, random_normal(36, 13));
}

// A normalisation's prepare step: its weight (N(0, 1) from weight_seed) and bias (from the next seed) away from
// ones and zeros, so that their gradients and their use in dx are checked.
std::function<void(Layer&)> off_initial(std::uint64_t weight_seed) {
  return [weight_seed](Layer& layer) {
    for (Parameter* p : layer.parameters())
      from_host(p->value, random_normal(static_cast<std::size_t>(p->value.numel()), p->name == "weight" ? weight_seed : weight_seed + 1));
  };
}

TEST(GradientCheck, LayerNorm) {
  const auto off_initial = ::nnplug::test::off_initial(15);
  auto layer = registry().create_layer(Params("test", "layer_norm"));
  check_layer(*layer, Shape{2, 3, 2}, 3, random_normal(36, 17), off_initial);
  check_layer(*registry().create_layer(Params("test", {{"type", "layer_norm"}, {"eps", 0.1}})), Shape{5}, 4, random_normal(20, 18), off_initial);
  // Each step of a sequence alone, and each 3 x 2 block; the weight and bias sum over the blocks.
  check_layer(*registry().create_layer(Params("test", {{"type", "layer_norm"}, {"normalized_shape", 4}})), Shape{3, 4}, 2, random_normal(24, 19),
              off_initial);
  check_layer(*registry().create_layer(Params("test", {{"type", "layer_norm"}, {"normalized_shape", {3, 2}}})), Shape{2, 3, 2}, 2,
              random_normal(24, 20), off_initial);
  // 520 rows of 64: enough that the kernels split the rows, and the weight's and bias' columns, between threads.
  check_layer(*registry().create_layer(Params("test", {{"type", "layer_norm"}, {"normalized_shape", 64}})), Shape{4, 64}, 130,
              random_normal(130 * 4 * 64, 23), off_initial);
}

// Per group of channels over an image and a sequence, and per channel (instance norm, with and without its affine
// parameters); the weight and bias away from ones and zeros.
TEST(GradientCheck, GroupAndInstanceNorm) {
  const auto off_initial = ::nnplug::test::off_initial(25);
  for (const char* json : {R"({"type": "group_norm", "num_groups": 2})", R"({"type": "group_norm", "num_groups": 4, "affine": false})",
                           R"({"type": "instance_norm", "affine": true})", R"("instance_norm")"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{4, 2, 3}, 2, random_normal(48, 27), off_initial);
  check_layer(*registry().create_layer(Params("test", {{"type", "group_norm"}, {"num_groups", 3}})), Shape{6, 5}, 3, random_normal(90, 28),
              off_initial);
  // 130 samples of 4 x 8 x 8: enough that the kernels split the groups between threads.
  check_layer(*registry().create_layer(Params("test", {{"type", "group_norm"}, {"num_groups", 2}})), Shape{4, 8, 8}, 130,
              random_normal(130 * 256, 29), off_initial);
}

TEST(GroupNormShapes, GroupsDivideTheChannels) {
  auto be = cpu_backend();
  auto layer = registry().create_layer(Params("test", {{"type", "group_norm"}, {"num_groups", 3}}));
  EXPECT_EQ(error_of([&] { layer->build(Shape{4, 5, 5}, BuildContext{*be, DType::Float32}); }),
            "group_norm: num_groups 3 does not divide the input's 4 channels (input [4, 5, 5])");
  EXPECT_EQ(layer->build(Shape{6, 5, 5}, BuildContext{*be, DType::Float32}), (Shape{6, 5, 5}));
  EXPECT_EQ(layer->parameters()[0]->value.shape(), (Shape{6}));
  EXPECT_TRUE(registry().create_layer(Params("test", "instance_norm"))->parameters().empty());
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", "group_norm")); }), "test: parameter 'num_groups' is required");
}

TEST(LayerNormShapes, NormalizedShapeIsTheSampleLastSizes) {
  auto be = cpu_backend();
  const auto built = [&](const Params::Json& normalized, const Shape& sample) {
    auto layer = registry().create_layer(Params("test", {{"type", "layer_norm"}, {"normalized_shape", normalized}}));
    layer->build(sample, BuildContext{*be, DType::Float32});
    return layer->parameters()[0]->value.shape();
  };
  EXPECT_EQ(built(64, Shape{28, 64}), (Shape{64}));
  EXPECT_EQ(built({5, 6}, Shape{2, 5, 6}), (Shape{5, 6}));
  EXPECT_EQ(error_of([&] { built(28, Shape{28, 64}); }), "layer_norm: normalized_shape [28] is not the last sizes of a sample [28, 64]");
  EXPECT_EQ(error_of([&] { built({1, 28, 64}, Shape{28, 64}); }), "layer_norm: normalized_shape [1, 28, 64] is not the last sizes of a sample [28, 64]");
  EXPECT_EQ(error_of([&] { built({4, 0}, Shape{4, 1}); }), "test: parameter 'normalized_shape' must hold whole sizes of at least 1, got [4,0]");
  EXPECT_EQ(error_of([&] { built(Params::Json::array(), Shape{4}); }), "test: parameter 'normalized_shape' must be a size or a list of 1 to 5 sizes, got []");
}

// Separable maps of images: window means, borders around (whose copies' gradients add up), rows and columns cut off.
TEST(GradientCheck, AdaptivePoolingPaddingAndCropping) {
  for (const char* json : {R"({"type": "adaptive_avg_pool2d", "output_size": [2, 3]})", R"({"type": "zero_padding2d", "padding": [[1, 0], [2, 1]]})",
                           R"({"type": "padding2d", "padding": [[3, 1], [2, 4]], "mode": "reflect"})",
                           R"({"type": "padding2d", "padding": [[3, 1], [2, 4]], "mode": "replicate"})",
                           R"({"type": "padding2d", "padding": [[4, 1], [5, 3]], "mode": "circular"})", R"({"type": "cropping2d", "cropping": [1, 2]})",
                           R"({"type": "padding2d", "padding": [[2, 1], [0, 0]], "mode": "replicate"})"})  // columns left as they are
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{2, 4, 5}, 2, random_normal(80, 30));
  // Sequences: (channels, length), and (length, channels) as Keras's ZeroPadding1D reads them.
  for (const char* json : {R"({"type": "padding1d", "padding": [2, 4], "mode": "reflect"})", R"({"type": "padding1d", "padding": 5, "mode": "circular"})",
                           R"({"type": "padding1d", "padding": [3, 1], "mode": "replicate", "data_format": "channels_last"})",
                           R"({"type": "padding1d", "padding": [1, 2], "data_format": "channels_last"})"})
    check_layer(*registry().create_layer(Params("test", Params::Json::parse(json))), Shape{4, 5}, 2, random_normal(40, 31));
}

// y = x + weight, the weight's gradient the sum of every sample's dL/dy.
TEST(GradientCheck, PositionEmbedding) {
  auto layer = registry().create_layer(Params("test", "position_embedding"));
  check_layer(*layer, Shape{3, 4}, 2, random_normal(24, 21));
  const Tensor x = tensor(*cpu_backend(), Shape{2, 3, 4}, random_normal(24, 22), DType::Float64);
  const auto y = to_host<double>(layer->forward(x)), weight = to_host<double>(layer->parameters()[0]->value), xs = to_host<double>(x);
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(y[i], xs[i] + weight[i % 12]) << i;
}

// scale * x + offset: pixels of 0 to 255 under Keras's Rescaling(1 / 127.5, offset=-1) are -1 to 1. And the gradient.
TEST(GradientCheck, Rescaling) {
  const auto be = cpu_backend();  // held while the layer refers to it
  auto layer = registry().create_layer(Params("test", {{"type", "rescaling"}, {"scale", 1 / 127.5}, {"offset", -1}}));
  layer->build(Shape{3}, BuildContext{*be, DType::Float64});
  const auto y = to_host<double>(layer->forward(tensor(*be, Shape{1, 3}, {0, 127.5, 255}, DType::Float64)));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(y[i], static_cast<double>(i) - 1.0, 1e-15) << i;
  check_layer(*registry().create_layer(Params("test", {{"type", "rescaling"}, {"scale", -0.25}, {"offset", 3}})), Shape{2, 3}, 2,
              random_normal(12, 28));
  EXPECT_EQ(error_of([] { (void)registry().create_layer(Params("test", {{"type", "rescaling"}, {"offset", 3}})); }),
            "test: parameter 'scale' is required");
}

// (x - mean) / sqrt(variance) per entry of the axis: on [2, 3] by the last axis (mean 1, 2, 3; variance 4, 0, 1, the 0 of
// a constant feature dividing by 1), by axis 1 (mean 10, 20; variance 1, 16), and the whole sample (mean 5, variance 25).
TEST(GradientCheck, Normalization) {
  const std::vector<double> x = {3, 2, 5, 12, 24, 28};
  const auto be = cpu_backend();  // held while the layers refer to it
  const auto normalized = [&](const Params::Json& settings) {
    auto layer = registry().create_layer(Params("test", settings));
    layer->build(Shape{2, 3}, BuildContext{*be, DType::Float64});
    check_layer(*registry().create_layer(Params("test", settings)), Shape{2, 3}, 3, random_normal(18, 29));
    return to_host<double>(layer->forward(tensor(*be, Shape{1, 2, 3}, x, DType::Float64)));
  };
  const auto expect_near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-14) << i;
  };
  expect_near(normalized({{"type", "normalization"}, {"mean", {1, 2, 3}}, {"variance", {4, 0, 1}}}), {1, 0, 2, 5.5, 22, 25});
  expect_near(normalized({{"type", "normalization"}, {"axis", 1}, {"mean", {10, 20}}, {"variance", {1, 16}}}), {-7, -8, -5, -2, 1, 2});
  expect_near(normalized({{"type", "normalization"}, {"axis", nullptr}, {"mean", {5}}, {"variance", {25}}}), {-0.4, -0.6, 0, 1.4, 3.8, 4.6});
  const auto created = [](const Params::Json& settings) { return error_of([&] { (void)registry().create_layer(Params("test", settings)); }); };
  EXPECT_EQ(created({{"type", "normalization"}}), "test needs \"mean\" and \"variance\", the data's statistics: Python's "
                                                  "nnplug.Normalization().adapt(x) computes them, as Keras's adapt does");
  EXPECT_EQ(created({{"type", "normalization"}, {"mean", {1}}, {"variance", {1, 2}}}),
            "test has 1 means but 2 variances, one of each per entry of the axis");
  EXPECT_EQ(error_of([&] {
              registry().create_layer(Params("test", {{"type", "normalization"}, {"mean", {1, 2}}, {"variance", {1, 1}}}))
                  ->build(Shape{2, 3}, BuildContext{*be, DType::Float64});
            }),
            "normalization: 2 means and variances for 3 entries of axis -1 of input [2, 3]; give one for each, or one for all");
}

// Each block divided by its root mean square, times the weight: on [2, 3] with normalized_shape 3, the row (3, 0, 4)
// has mean square 25 / 3, so y = (3, 0, 4) / sqrt(25 / 3 + eps); the whole sample by default. And the gradients.
TEST(GradientCheck, RmsNorm) {
  auto be = cpu_backend();
  auto rows = registry().create_layer(Params("test", {{"type", "rms_norm"}, {"normalized_shape", 3}, {"eps", 0.5}}));
  check_layer(*rows, Shape{2, 3}, 3, random_normal(18, 25));
  rows->build(Shape{2, 3}, BuildContext{*be, DType::Float64});
  from_host(rows->parameters()[0]->value, std::vector<double>{1, 2, 1});
  const auto y = to_host<double>(rows->forward(tensor(*be, Shape{1, 2, 3}, {3, 0, 4, 1, 1, 1}, DType::Float64)));
  const double first = 1 / std::sqrt(25.0 / 3 + 0.5), second = 1 / std::sqrt(1 + 0.5);
  const std::vector<double> want{3 * first, 0, 4 * first, second, 2 * second, second};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(y[i], want[i], 1e-15) << i;
  auto whole = registry().create_layer(Params("test", "rms_norm"));
  check_layer(*whole, Shape{2, 3}, 2, random_normal(12, 26));
  // 520 rows of 64: enough that the kernels split the rows, and the weight's columns, between threads. eps 0.5 as
  // above: with the default 1e-6, the centred differences of this loss of 33,280 terms came 1.6e-7 from one element's
  // gradient, on the single-threaded kernels before as on these (the same values).
  check_layer(*registry().create_layer(Params("test", {{"type", "rms_norm"}, {"normalized_shape", 64}, {"eps", 0.5}})), Shape{4, 64}, 130,
              random_normal(130 * 4 * 64, 27), off_initial(29));
  EXPECT_EQ(error_of([&] { registry().create_layer(Params("test", {{"type", "rms_norm"}, {"normalized_shape", 4}}))->build(Shape{2, 3}, BuildContext{*be, DType::Float64}); }),
            "rms_norm: normalized_shape [4] is not the last sizes of a sample [2, 3]");
}

// y = x + the sinusoidal encoding, its values the paper's: with E = 4, position t's are sin(t), cos(t), sin(t / 100),
// cos(t / 100) (100 = 10000^(2/4)); an odd last feature is a sine.
TEST(GradientCheck, PositionalEncoding) {
  auto layer = registry().create_layer(Params("test", "positional_encoding"));
  check_layer(*layer, Shape{3, 4}, 2, random_normal(24, 23));
  const std::vector<double> x = random_normal(24, 24);
  const auto y = to_host<double>(layer->forward(tensor(*cpu_backend(), Shape{2, 3, 4}, x, DType::Float64)));
  for (std::size_t i = 0; i < 24; ++i) {
    const double t = static_cast<double>(i % 12 / 4), angle = i % 4 < 2 ? t : t / 100;
    EXPECT_NEAR(y[i] - x[i], i % 2 == 0 ? std::sin(angle) : std::cos(angle), 1e-15) << i;
  }
  auto odd = registry().create_layer(Params("test", {{"type", "positional_encoding"}, {"max_wavelength", 100}}));
  odd->build(Shape{2, 3}, BuildContext{*cpu_backend(), DType::Float64});
  const auto z = to_host<double>(odd->forward(tensor(*cpu_backend(), Shape{1, 2, 3}, std::vector<double>(6, 0.0), DType::Float64)));
  EXPECT_NEAR(z[5], std::sin(1.0 / std::pow(100.0, 2.0 / 3.0)), 1e-15);  // position 1, feature 2 of 3
}

TEST(GradientCheck, Reshape) {
  auto layer = registry().create_layer(Params("test", {{"type", "reshape"}, {"shape", {3, -1, 2}}}));
  check_layer(*layer, Shape{12}, 3, random_normal(36, 14));
}

// A flat sample of 784 seen as a 1x28x28 image, with -1 worked out; sizes that cannot hold the sample are named.
TEST(ReshapeShapes, SizesAreWorkedOutOrRefusedAtBuild) {
  auto be = cpu_backend();
  const auto built = [&](const Params::Json& shape, const Shape& input) {
    return registry().create_layer(Params("test", {{"type", "reshape"}, {"shape", shape}}))->build(input, BuildContext{*be, DType::Float32});
  };
  EXPECT_EQ(built({1, 28, 28}, Shape{784}), (Shape{1, 28, 28}));
  EXPECT_EQ(built({-1, 7, 7}, Shape{2, 14, 14}), (Shape{8, 7, 7}));
  try {
    built({5, -1}, Shape{784});
    FAIL() << "784 values were seen as 5 rows";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "reshape: a sample of [784] holds 784 values, which [5, -1] cannot hold");
  }
  // Sizes whose product overflows a 64-bit integer are too many values, not a wrapped-around match.
  EXPECT_THROW(built({4294967296, 4294967296, 784}, Shape{784}), ShapeError);
  for (const Params::Json& bad : {Params::Json::array(), Params::Json{-1, -1}, Params::Json{0, 784}, Params::Json{2.5}})
    EXPECT_THROW(registry().create_layer(Params("test", {{"type", "reshape"}, {"shape", bad}})), InvalidArgument) << bad.dump();
}

// The message a layer made from this spec throws, or "(no error)".
std::string created(const char* json) {
  return error_of([&] { registry().create_layer(Params("test", Params::Json::parse(json))); });
}

TEST(ImageSides, SizesAndRefusedSides) {
  auto be = cpu_backend();
  const auto build = [&](const char* json, const Shape& input) {
    return registry().create_layer(Params("test", Params::Json::parse(json)))->build(input, BuildContext{*be, DType::Float32});
  };
  const auto built = [&](const char* json, const Shape& input) { return error_of([&] { build(json, input); }); };
  EXPECT_EQ(build(R"({"type": "adaptive_avg_pool2d", "output_size": 7})", Shape{512, 14, 14}), (Shape{512, 7, 7}));
  EXPECT_EQ(build(R"({"type": "zero_padding2d", "padding": [[1, 2], [3, 4]]})", Shape{3, 5, 5}), (Shape{3, 8, 12}));
  EXPECT_EQ(build(R"({"type": "cropping2d", "cropping": 2})", Shape{3, 5, 6}), (Shape{3, 1, 2}));
  EXPECT_EQ(built(R"({"type": "cropping2d", "cropping": [[2, 3], [0, 0]]})", Shape{3, 5, 6}), "cropping2d: cropping [[2, 3], [0, 0]] leaves nothing of [3, 5, 6]");
  EXPECT_EQ(created(R"({"type": "zero_padding2d", "padding": [0, 3, 1, 2]})"),
            "test: parameter 'padding' must be a number, [h, w] or [[top, bottom], [left, right]], got [0,3,1,2]");
  EXPECT_EQ(created(R"({"type": "cropping2d", "cropping": -1})"), "test: parameter 'cropping' must hold whole numbers in [0, 1048576], got -1");
  EXPECT_EQ(created(R"({"type": "adaptive_avg_pool2d"})"), "test: parameter 'output_size' is required");
  // Borders by mode: a reflection mirrors at most the side less its edge, a wrap at most the side.
  EXPECT_EQ(build(R"({"type": "padding2d", "padding": [[4, 0], [5, 5]], "mode": "circular"})", Shape{3, 4, 5}), (Shape{3, 8, 15}));
  EXPECT_EQ(build(R"({"type": "padding2d", "padding": 9, "mode": "replicate"})", Shape{3, 1, 1}), (Shape{3, 19, 19}));
  EXPECT_EQ(built(R"({"type": "padding2d", "padding": [[1, 4], [0, 0]], "mode": "reflect"})", Shape{3, 4, 5}),
            "padding2d: padding_mode \"reflect\" cannot pad 4 onto a side of the height 4 of input [3, 4, 5]: it pads at most 3 (one less than the side)");
  EXPECT_EQ(built(R"({"type": "padding2d", "padding": [0, 6], "mode": "circular"})", Shape{3, 4, 5}),
            "padding2d: padding_mode \"circular\" cannot pad 6 onto a side of the width 5 of input [3, 4, 5]: it pads at most 5 (the side)");
  EXPECT_EQ(built(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1, "padding_mode": "reflect"})", Shape{3, 1, 5}),
            "conv2d: padding_mode \"reflect\" cannot pad 1 onto a side of the height 1 of input [3, 1, 5]: it pads at most 0 (one less than the side)");
  EXPECT_EQ(built(R"({"type": "conv1d", "filters": 2, "kernel_size": 9, "padding": 4, "padding_mode": "reflect"})", Shape{3, 4}),
            "conv1d: padding_mode \"reflect\" cannot pad 4 onto a side of the length 4 of input [3, 4]: it pads at most 3 (one less than the side)");
  EXPECT_EQ(created(R"({"type": "padding2d", "padding": 1, "mode": "constant"})"),
            "test: parameter 'mode' must be \"zeros\", \"reflect\", \"replicate\" or \"circular\" (PyTorch's padding_mode), got \"constant\"");
  EXPECT_NE(created(R"({"type": "zero_padding2d", "padding": 1, "mode": "reflect"})").find("unknown parameter 'mode'"), std::string::npos);
  EXPECT_EQ(build(R"({"type": "padding1d", "padding": [1, 3], "mode": "reflect", "data_format": "channels_last"})", Shape{5, 2}), (Shape{9, 2}));
  EXPECT_EQ(built(R"({"type": "padding1d", "padding": [1, 3], "mode": "reflect"})", Shape{5, 3}),
            "padding1d: padding_mode \"reflect\" cannot pad 3 onto a side of the length 3 of input [5, 3]: it pads at most 2 (one less than the side)");
  EXPECT_EQ(built(R"({"type": "padding1d", "padding": 1})", Shape{1, 5, 3}), "padding1d expects (channels, length) per sample, got [1, 5, 3]");
  EXPECT_EQ(created(R"({"type": "padding1d", "padding": [1, 2, 3]})"), "test: parameter 'padding' must be a number or [start, end], got [1,2,3]");
  // A border matrix too large to build is refused before it is built; a channels-last sequence's channels are never
  // a matrix, however many.
  EXPECT_EQ(built(R"({"type": "padding1d", "padding": 1048576})", Shape{2, 1000}),
            "padding1d: mapping 1000 values to 2098152 along an axis of [2, 1000] needs a matrix of more than 2^24 weights; it is built for feature "
            "maps of up to about a thousand pixels a side");
  EXPECT_EQ(build(R"({"type": "padding1d", "padding": 2, "data_format": "channels_last"})", Shape{5, 100000}), (Shape{9, 100000}));
  EXPECT_NE(created(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding_mode": "mirror"})").find("'padding_mode' must be"), std::string::npos);
}

// Sequence layers take numbers for their window's sizes and (channels, length) samples; PyTorch's output lengths.
TEST(SequenceLayerShapes, BadGeometryIsRefusedNamingTheField) {
  auto be = cpu_backend();
  EXPECT_EQ(created(R"({"type": "conv1d", "filters": 2, "kernel_size": [3]})"), "test: parameter 'kernel_size' must be a number: the window is 1-D");
  EXPECT_EQ(created(R"({"type": "max_pool1d", "stride": [1, 2]})"), "test: parameter 'stride' must be a number: the window is 1-D");
  EXPECT_EQ(created(R"({"type": "conv1d_transpose", "filters": 2, "kernel_size": 3, "output_padding": [0, 1]})"),
            "test: parameter 'output_padding' must be a number: the window is 1-D");
  EXPECT_EQ(created(R"({"type": "upsample1d", "scale_factor": [1, 2]})"), "test: parameter 'scale_factor' must be a number: the sequence is 1-D");
  EXPECT_EQ(created(R"({"type": "upsample1d", "mode": "bilinear"})"), "test: parameter 'mode' must be \"nearest\" or \"linear\", got \"bilinear\"");
  EXPECT_EQ(created(R"({"type": "upsample1d", "align_corners": true})"), "test: parameter 'align_corners' is for mode \"linear\" only, as in PyTorch");
  EXPECT_NE(created(R"({"type": "avg_pool1d", "data_format": "NLC"})").find("'data_format' must be \"channels_first\""), std::string::npos);
  EXPECT_NE(created(R"({"type": "conv1d", "filters": 2, "kernel_size": 3, "data_format": "NLC"})").find("'data_format' must be \"channels_first\""),
            std::string::npos);
  // An image has no channels-last form here: conv2d reads NCHW alone.
  EXPECT_NE(created(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "data_format": "channels_last"})").find("unknown parameter 'data_format'"),
            std::string::npos);
  const auto build = [&](const char* json, const Shape& input) {
    return registry().create_layer(Params("test", Params::Json::parse(json)))->build(input, BuildContext{*be, DType::Float32});
  };
  const auto built = [&](const char* json, const Shape& input) { return error_of([&] { build(json, input); }); };
  EXPECT_EQ(built(R"({"type": "conv1d", "filters": 2, "kernel_size": 3})", Shape{1, 28, 28}), "conv1d expects (channels, length) per sample, got [1, 28, 28]");
  EXPECT_EQ(built(R"({"type": "conv1d", "filters": 2, "kernel_size": 3, "groups": 2})", Shape{3, 7}),
            "conv1d: groups 2 does not divide the input's 3 channels (input [3, 7])");
  EXPECT_EQ(built(R"({"type": "conv1d", "filters": 2, "kernel_size": 3, "dilation": 4, "padding": 1})", Shape{3, 5}),
            "a window of 9 (kernel with dilation) is longer than the padded input of 7");
  EXPECT_EQ(built(R"({"type": "max_pool1d", "pool_size": 8, "data_format": "channels_last"})", Shape{7, 4}),
            "a window of 8 (kernel with dilation) is longer than the padded input of 7");
  EXPECT_EQ(built(R"("global_max_pool1d")", Shape{12}), "global_max_pool1d expects (channels, length) per sample, got [12]");
  EXPECT_EQ(built(R"({"type": "conv1d_transpose", "filters": 2, "kernel_size": 3, "groups": 2})", Shape{3, 7}),
            "conv1d_transpose: groups 2 does not divide the input's 3 channels (input [3, 7])");
  EXPECT_EQ(built(R"({"type": "conv1d_transpose", "filters": 2, "kernel_size": 1, "padding": 1})", Shape{3, 2}),
            "conv1d_transpose: the window (kernel 1, stride 1, padding 1) leaves no output, or one too large to hold, for input [3, 2]");
  EXPECT_EQ(built(R"({"type": "upsample1d"})", Shape{3, 4, 5}), "upsample1d expects (channels, length) per sample, got [3, 4, 5]");
  EXPECT_EQ(built(R"({"type": "repeat_vector", "n": 3})", Shape{3, 4}), "repeat_vector expects a vector [features] per sample, got [3, 4]");
  EXPECT_EQ(created(R"({"type": "repeat_vector"})"), "test: parameter 'n' is required");
  EXPECT_EQ(created(R"({"type": "glu", "dim": 0})"), "test: parameter 'dim' must be a sample axis, from 1 (0 is the batch), or -1 for the last");
  EXPECT_EQ(built(R"({"type": "glu"})", Shape{4, 7}), "glu halves axis 2 of input [4, 7], whose extent 7 is odd");
  EXPECT_EQ(built(R"({"type": "glu", "dim": 3})", Shape{4, 6}), "glu: dim 3 is not an axis of input [4, 6] (sample axes 1 to 2)");
  EXPECT_EQ(build(R"({"type": "glu", "dim": 1})", Shape{4, 7}), (Shape{2, 7}));
  EXPECT_EQ(created(R"({"type": "adaptive_max_pool2d"})"), "test: parameter 'output_size' is required");
  EXPECT_EQ(built(R"({"type": "adaptive_max_pool2d", "output_size": 2})", Shape{6, 3}),
            "adaptive_max_pool2d expects (channels, height, width) per sample, got [6, 3]");
  EXPECT_EQ(build(R"({"type": "adaptive_max_pool2d", "output_size": [7, 1]})", Shape{3, 5, 5}), (Shape{3, 7, 1}));
  EXPECT_EQ(built(R"({"type": "channel_shuffle", "groups": 4})", Shape{6, 3, 3}),
            "channel_shuffle: groups 4 does not divide the channels of input [6, 3, 3] (channels first)");
  EXPECT_EQ(build(R"({"type": "repeat_vector", "n": 3})", Shape{4}), (Shape{3, 4}));
  EXPECT_EQ(build(R"({"type": "upsample1d", "scale_factor": 3, "data_format": "channels_last"})", Shape{7, 4}), (Shape{21, 4}));
  EXPECT_EQ(build(R"({"type": "upsample1d", "mode": "linear"})", Shape{4, 7}), (Shape{4, 14}));
  // (7 - 1) 2 - 2 + 2 + 1 = 13 steps: PyTorch's length; channels last keeps the channels last.
  EXPECT_EQ(build(R"({"type": "conv1d_transpose", "filters": 5, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1})", Shape{4, 7}),
            (Shape{5, 14}));
  EXPECT_EQ(build(R"({"type": "conv1d_transpose", "filters": 5, "kernel_size": 4, "stride": 2, "padding": "same", "data_format": "channels_last"})",
                  Shape{7, 4}),
            (Shape{14, 5}));
  // (9 + 2 - 2 - 1) / 2 + 1 = 5 steps; the channels-last poolings keep the channels last.
  EXPECT_EQ(build(R"({"type": "conv1d", "filters": 5, "kernel_size": 3, "stride": 2, "padding": 1})", Shape{4, 9}), (Shape{5, 5}));
  EXPECT_EQ(build(R"({"type": "max_pool1d", "data_format": "channels_last"})", Shape{7, 4}), (Shape{3, 4}));
  EXPECT_EQ(build(R"({"type": "avg_pool1d", "pool_size": 3, "stride": 1, "padding": 1})", Shape{4, 7}), (Shape{4, 7}));
  EXPECT_EQ(build(R"({"type": "global_avg_pool1d", "data_format": "channels_last"})", Shape{7, 4}), (Shape{4}));
}

// As PyTorch: a pooling window never lies wholly in the padding (its maximum would be -inf).
TEST(PoolingShapes, PaddingIsAtMostHalfTheWindow) {
  EXPECT_EQ(created(R"({"type": "max_pool2d", "padding": 2})"), "test: parameter 'padding' must be at most half the pool size (with dilation) [2, 2], got [2, 2]");
  EXPECT_EQ(created(R"({"type": "avg_pool2d", "pool_size": [4, 3], "padding": [2, 2]})"),
            "test: parameter 'padding' must be at most half the pool size (with dilation) [4, 3], got [2, 2]");
  EXPECT_EQ(created(R"({"type": "max_pool1d", "pool_size": 3, "padding": 2})"), "test: parameter 'padding' must be at most half the pool size (with dilation) 3, got 2");
  EXPECT_EQ(created(R"({"type": "max_pool2d", "pool_size": 3, "padding": 2, "dilation": 2})"), "(no error)");  // a window of 5
}

// dims must order every axis of the sample once, numbered from 1; the output's sizes are the input's in that order.
TEST(PermuteShapes, DimsAreAnOrderOfTheSamplesAxes) {
  auto be = cpu_backend();
  const auto build = [&](const Params::Json& dims, const Shape& input) {
    return registry().create_layer(Params("test", {{"type", "permute"}, {"dims", dims}}))->build(input, BuildContext{*be, DType::Float32});
  };
  EXPECT_EQ(build({2, 1}, Shape{7, 4}), (Shape{4, 7}));
  EXPECT_EQ(build({2, 3, 1}, Shape{3, 5, 6}), (Shape{5, 6, 3}));
  for (const Params::Json& bad : {Params::Json::array(), Params::Json{0, 1}, Params::Json{1, 1}, Params::Json{1, 3}, Params::Json{1.5, 2},
                                  Params::Json{2, 1, 3, 4, 5, 6}})
    EXPECT_NE(error_of([&] { build(bad, Shape{2, 2}); }).find("parameter 'dims' must"), std::string::npos) << bad.dump();
  EXPECT_EQ(error_of([&] { build({2, 1}, Shape{1, 28, 28}); }), "permute: dims [2, 1] reorder 2 axes, but a sample is [1, 28, 28]");
}

// A window size past PyTorch's int32 limit is refused by name when the layer is created: dilation 2^62 with kernel
// 3 once overflowed dilation x (kernel - 1) to a negative window, which was accepted with a wrong output shape.
TEST(Conv2dShapes, WindowSizesBeyondInt32AreRefusedByName) {
  const std::int64_t huge = std::int64_t{1} << 62;
  for (const auto& [type, key] : std::vector<std::pair<const char*, const char*>>{
           {"conv2d", "dilation"}, {"conv2d", "padding"}, {"conv2d", "kernel_size"}, {"conv2d", "stride"},
           {"max_pool2d", "padding"}, {"avg_pool2d", "pool_size"}, {"conv2d_transpose", "dilation"},
           {"conv2d_transpose", "output_padding"}}) {
    for (const Params::Json& value : {Params::Json(huge), Params::Json{3, huge}}) {
      Params::Json spec{{"type", type}, {key, value}};
      if (std::string(type).starts_with("conv")) spec["filters"] = 2;
      if (!spec.contains("kernel_size") && spec["type"] != "max_pool2d" && spec["type"] != "avg_pool2d") spec["kernel_size"] = 3;
      try {
        registry().create_layer(Params("test", spec));
        ADD_FAILURE() << spec.dump() << " was accepted";
      } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find(fmt::format("parameter '{}' must", key)), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("2147483647"), std::string::npos) << e.what();
      }
    }
  }
}

TEST(Conv2dShapes, BadGeometryIsABuildTimeShapeError) {
  auto be = cpu_backend();
  auto conv = registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 2}, {"kernel_size", 7}}));
  try {
    conv->build(Shape{1, 5, 5}, BuildContext{*be, DType::Float32});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "a window of 7x7 (kernel with dilation) is larger than the padded input 5x5");
  }
  EXPECT_THROW(registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 2}, {"kernel_size", 3}, {"stride", 0}})),
               InvalidArgument);
  auto flat = registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 2}, {"kernel_size", 3}}));
  EXPECT_THROW(flat->build(Shape{784}, BuildContext{*be, DType::Float32}), ShapeError);
  // Groups must divide the filters (at creation) and the input's channels (at build).
  EXPECT_THROW(registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 6}, {"kernel_size", 3}, {"groups", 4}})),
               InvalidArgument);
  auto grouped = registry().create_layer(Params("test", {{"type", "conv2d"}, {"filters", 6}, {"kernel_size", 3}, {"groups", 3}}));
  try {
    grouped->build(Shape{4, 5, 5}, BuildContext{*be, DType::Float32});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "conv2d: groups 3 does not divide the input's 4 channels (input [4, 5, 5])");
  }
}

// A transposed convolution's geometry is refused where PyTorch's would be, naming the field; one whose output would
// be empty or too large to hold is a build-time ShapeError; upsampling takes integer factors, "nearest" or "bilinear".
TEST(Conv2dTransposeShapes, BadGeometryIsRefusedNamingTheField) {
  auto be = cpu_backend();
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2})").find("kernel_size"), std::string::npos);
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "stride": 2, "output_padding": 2})")
                .find("output_padding' must be below the stride [2, 2], got [2, 2]"), std::string::npos);
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 1, "stride": 2, "padding": "same"})")
                .find("\"same\" needs a kernel (with dilation) of at least the stride 2"), std::string::npos);
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 2, "padding": "same"})").find("odd effective kernel"),
            std::string::npos);
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "padding": "same", "output_padding": 1})")
                .find("output_padding"), std::string::npos);
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 3, "kernel_size": 3, "groups": 2})").find("groups"), std::string::npos);
  EXPECT_NE(created(R"({"type": "upsample2d", "mode": "bicubic"})").find("\"nearest\" or \"bilinear\""), std::string::npos);
  EXPECT_NE(created(R"({"type": "upsample2d", "align_corners": true})").find("align_corners' is for mode \"bilinear\" only"), std::string::npos);
  EXPECT_NE(created(R"({"type": "upsample2d", "scale_factor": 1.5})").find("scale_factor"), std::string::npos);
  EXPECT_NE(created(R"({"type": "upsample2d", "scale_factor": [2, 2048]})").find("at most 1024"), std::string::npos);
  const auto built = [&](const char* json, const Shape& input) {
    return error_of([&] { registry().create_layer(Params("test", Params::Json::parse(json)))->build(input, BuildContext{*be, DType::Float32}); });
  };
  EXPECT_EQ(built(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 1, "padding": 1})", Shape{1, 2, 2}),
            "conv2d_transpose: the window (kernel [1, 1], stride [1, 1], padding [1, 1]) leaves no output, or one too large to hold, for input [1, 2, 2]");
  // Sizes up to the int32 limit that read_pair allows, which multiply past the layer's own bound of 2^40.
  EXPECT_NE(built(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "stride": 2147483647})", Shape{1, 1000, 5})
                .find("too large to hold"), std::string::npos);
  EXPECT_EQ(built(R"({"type": "conv2d_transpose", "filters": 1099511627776, "kernel_size": 1048576})", Shape{3, 5, 5}),
            "conv2d_transpose: a weight of [3, 1099511627776, 1048576, 1048576] is too large");
  EXPECT_NE(created(R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 2147483647, "dilation": 2147483647, "padding": "same"})")
                .find("spans too many pixels"), std::string::npos);
  EXPECT_EQ(built(R"({"type": "conv2d_transpose", "filters": 4, "kernel_size": 3, "groups": 2})", Shape{3, 5, 5}),
            "conv2d_transpose: groups 2 does not divide the input's 3 channels (input [3, 5, 5])");
  EXPECT_EQ(built(R"({"type": "upsample2d"})", Shape{12}), "upsample2d expects (channels, height, width) per sample, got [12]");
  // Bilinear interpolation matrices past 2^24 weights (5000 x 10000 here) would not fit in memory.
  EXPECT_NE(built(R"({"type": "upsample2d", "mode": "bilinear"})", Shape{1, 5000, 4}).find("more than 2^24 weights"), std::string::npos);
  // PyTorch's sizes: (5 - 1) 2 - 2 + 2 + 1 + 1 = 10, and "same" doubles.
  for (const char* json : {R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1})",
                           R"({"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "stride": 2, "padding": "same"})"})
    EXPECT_EQ(registry().create_layer(Params("test", Params::Json::parse(json)))->build(Shape{1, 5, 5}, BuildContext{*be, DType::Float32}),
              (Shape{2, 10, 10}));
}

TEST(MaxoutShapes, RowsPast64BitsAreRefusedByName) {
  EXPECT_EQ(error_of([] { registry().create_layer(Params("test", {{"type", "maxout"}, {"units", 4}, {"pieces", std::int64_t{1} << 62}})); }),
            "test: parameter 'pieces' gives units x pieces = 4 x 4611686018427387904 rows of weights, more than 64 bits count");
}

TEST(GradientCheck, Maxout) {
  auto layer = registry().create_layer(Params("test", {{"type", "maxout"}, {"units", 3}, {"pieces", 3}}));
  check_layer(*layer, Shape{5}, 4, random_normal(20, 7));
}

// A dense unit with weight 1 and this bias, then a ReLU and two outputs, in training mode: for one_sample() (the
// value 1) the ReLU's input is 1 + bias.
std::unique_ptr<Model> one_relu(double bias) {
  const Spec spec = parse_spec(R"({"layers": [{"type": "dense", "units": 1, "activation": "relu"}, {"type": "dense", "units": 2}]})",
                               std::filesystem::temp_directory_path() / "spec.json");
  auto model = build_model(spec, registry(), cpu_backend(), DType::Float64, Shape{1}, 3);
  const auto parameters = model->layer(0).parameters();  // weight [1, 1], bias [1]
  from_host(parameters[0]->value, std::vector<double>{1.0});
  from_host(parameters[1]->value, std::vector<double>{bias});
  model->set_training(true);
  return model;
}

Dataset one_sample() { return Dataset{Shape{1}, SampleValues(std::vector<double>{1.0}), {0}, 2}; }

// The whole-model check: a ReLU whose input sits 3e-6 below zero. Its analytic gradient is 0; a step of 1e-5 on
// the layer's weight or bias crosses the kink, so the centred difference there is far from 0 ("wrong"), while at
// 1e-6 the kink is out of reach and the difference is exactly 0. The check measures such a coordinate again at a
// smaller h and says so; at h = 1e-6 from the start there is nothing to measure again.
TEST(ModelGradientCheck, ACoordinateThatCrossesAKinkIsMeasuredAgainAtASmallerStep) {
  auto model = one_relu(-1.0 - 3e-6);
  const Dataset one = one_sample();
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));

  const auto at_1e5 = check_model_gradients(*model, *loss, one, GradientCheckSettings{1e-5, 10, false});
  for (std::size_t t = 0; t < 2; ++t) {  // the first layer's weight and bias
    EXPECT_EQ(at_1e5[t].kinks_crossed, 1) << at_1e5[t].parameter;
    EXPECT_EQ(at_1e5[t].worst_error, 0.0) << at_1e5[t].parameter;
    EXPECT_EQ(at_1e5[t].numeric, 0.0) << at_1e5[t].parameter;
    EXPECT_DOUBLE_EQ(at_1e5[t].worst_step, 1e-6) << at_1e5[t].parameter;
  }
  for (std::size_t t = 2; t < at_1e5.size(); ++t) EXPECT_EQ(at_1e5[t].kinks_crossed, 0) << at_1e5[t].layer << " " << at_1e5[t].parameter;

  const auto at_1e6 = check_model_gradients(*model, *loss, one, GradientCheckSettings{1e-6, 10, false});
  for (const auto& c : at_1e6) {
    EXPECT_EQ(c.kinks_crossed, 0) << c.layer << " " << c.parameter;
    EXPECT_DOUBLE_EQ(c.worst_step, 1e-6) << c.layer << " " << c.parameter;
  }
}

// On the kink itself (the ReLU's input exactly 0) no step helps: the centred difference is half the slope on the
// right, backpropagation gives the slope on the left (0). The left one-sided difference is exactly 0 (the loss is
// flat there), the right one is not: the check sets the gradient against the one it matches.
TEST(ModelGradientCheck, AGradientOnAKinkIsSetAgainstTheOneSidedDerivatives) {
  auto model = one_relu(-1.0);
  const Dataset one = one_sample();
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));

  const auto checks = check_model_gradients(*model, *loss, one, GradientCheckSettings{1e-5, 10, false});
  for (std::size_t t = 0; t < 2; ++t) {
    EXPECT_EQ(checks[t].analytic, 0.0) << checks[t].parameter;
    EXPECT_EQ(checks[t].at_a_kink, 1) << checks[t].parameter;
    EXPECT_EQ(checks[t].numeric, 0.0) << checks[t].parameter;
    EXPECT_EQ(checks[t].worst_error, 0.0) << checks[t].parameter;
  }
  for (std::size_t t = 2; t < checks.size(); ++t) EXPECT_EQ(checks[t].at_a_kink, 0) << checks[t].layer << " " << checks[t].parameter;
}

// A bias before batch norm has a gradient of exactly 0 (the batch mean takes it away): backpropagation leaves
// rounding (about 1e-17), the centred difference 0 or its own rounding. The relative error of two such values is
// 1, "wrong"; within the rounding of the difference (4 eps |f| / h) they agree. The weight beside it, whose
// gradient is not 0, is checked as before.
TEST(ModelGradientCheck, GradientsWithinTheRoundingOfTheDifferenceAgree) {
  const Spec spec = parse_spec(R"({"layers": [{"type": "dense", "units": 4}, {"type": "batch_norm"}, {"type": "dense", "units": 3}]})",
                               std::filesystem::temp_directory_path() / "spec.json");
  auto model = build_model(spec, registry(), cpu_backend(), DType::Float64, Shape{2}, 3);
  model->set_training(true);
  const Dataset three{Shape{2}, SampleValues(std::vector<double>{0.5, -1.0, 1.5, 0.25, -0.75, 2.0}), {0, 1, 2}, 3};
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  const auto checks = check_model_gradients(*model, *loss, three, GradientCheckSettings{1e-5, 10, false});
  ASSERT_EQ(checks[1].parameter, "bias");
  EXPECT_LT(std::abs(checks[1].analytic), 1e-15);
  EXPECT_EQ(checks[1].within_rounding, 4);
  EXPECT_EQ(checks[1].worst_error, 0.0);
  ASSERT_EQ(checks[0].parameter, "weight");
  EXPECT_EQ(checks[0].within_rounding, 0);
  EXPECT_LT(checks[0].worst_error, 1e-6);
  EXPECT_GT(checks[0].largest_gradient, 1e-4);
}

// Batch norm's weight before a ReLU, a depthwise convolution and another batch norm (MobileNet's block): the second
// undoes the scale each channel's weight gives (all but its eps), so the weight's gradient is some 1e-5 of its
// neighbours', below what centred differences resolve to 1e-4 relative. The check says so instead of calling it
// suspicious; the other gradients still pass.
TEST(ModelGradientCheck, GradientsBelowTheDifferencesResolutionAgreeWithinIt) {
  const Spec spec = parse_spec(R"({"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 2}, {"type": "batch_norm"}, {"type": "relu"},
                                              {"type": "conv2d", "filters": 2, "kernel_size": 1, "groups": 2, "bias": false},
                                              {"type": "batch_norm", "eps": 1e-9}, {"type": "flatten"}, {"type": "dense", "units": 3}]})",
                               std::filesystem::temp_directory_path() / "spec.json");
  auto model = build_model(spec, registry(), cpu_backend(), DType::Float64, Shape{1, 3, 3}, 5);
  model->set_training(true);
  const Dataset four{Shape{1, 3, 3}, SampleValues(random_normal(36, 21)), {0, 1, 2, 1}, 3};
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  const auto checks = check_model_gradients(*model, *loss, four, GradientCheckSettings{1e-5, 6, false});
  ASSERT_EQ(checks[2].parameter, "weight");  // the first batch norm's
  EXPECT_LT(checks[2].largest_gradient, 1e-5 * checks[0].largest_gradient);
  EXPECT_GT(checks[2].unresolved, 0);
  EXPECT_LE(checks[2].worst_error, 1e-4);
  for (const auto& c : checks) EXPECT_LE(c.worst_error, 1e-4) << c.layer << " " << c.parameter;
  EXPECT_EQ(checks[0].unresolved, 0);
}

}  // namespace
}  // namespace nnplug::test
