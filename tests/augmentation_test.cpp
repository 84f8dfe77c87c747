// Image augmentation: each transform on a small image against a result worked out by hand, and the random draws
// against their ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nnplug/framework/image_augmentation.hpp"

using namespace nnplug;

namespace {

// The 3x3 image 1..9 in row-major order, one channel.
const std::vector<float> kSquare{1, 2, 3, 4, 5, 6, 7, 8, 9};

std::vector<float> transformed(const ImageTransform& t, const Shape& chw, const std::vector<float>& in,
                               FillMode fill = FillMode::Nearest, float fill_value = 0.0f) {
  std::vector<float> out(in.size());
  transform_image(t, chw, in.data(), out.data(), fill, fill_value);
  return out;
}

void expect_near(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-5) << "at " << i;
}

}  // namespace

TEST(ImageAugmentation, FlipsMirrorEveryChannel) {
  const std::vector<float> image{1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60};  // (2, 2, 3)
  ImageTransform h;
  h.flip_horizontal = true;
  expect_near(transformed(h, Shape{2, 2, 3}, image), {3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40});
  ImageTransform v;
  v.flip_vertical = true;
  expect_near(transformed(v, Shape{2, 2, 3}, image), {4, 5, 6, 1, 2, 3, 40, 50, 60, 10, 20, 30});
}

TEST(ImageAugmentation, ShiftMovesContentAndFillsTheEdge) {
  ImageTransform t;
  t.dx = 1;  // one pixel right
  expect_near(transformed(t, Shape{1, 3, 3}, kSquare), {1, 1, 2, 4, 4, 5, 7, 7, 8});
  expect_near(transformed(t, Shape{1, 3, 3}, kSquare, FillMode::Constant, -1), {-1, 1, 2, -1, 4, 5, -1, 7, 8});
  ImageTransform up;
  up.dy = -1;
  expect_near(transformed(up, Shape{1, 3, 3}, kSquare), {4, 5, 6, 7, 8, 9, 7, 8, 9});
  ImageTransform half;  // half a pixel right: each value is the mean of itself and its left neighbour
  half.dx = 0.5;
  expect_near(transformed(half, Shape{1, 1, 3}, {0, 2, 4}), {0, 1, 3});
}

TEST(ImageAugmentation, RotationIsCounterClockwiseAboutTheCentre) {
  ImageTransform t;
  t.degrees = 90;
  expect_near(transformed(t, Shape{1, 3, 3}, kSquare), {3, 6, 9, 2, 5, 8, 1, 4, 7});
  t.degrees = -90;
  expect_near(transformed(t, Shape{1, 3, 3}, kSquare), {7, 4, 1, 8, 5, 2, 9, 6, 3});
  t.degrees = 180;
  expect_near(transformed(t, Shape{1, 3, 3}, kSquare), {9, 8, 7, 6, 5, 4, 3, 2, 1});
  // 45 degrees: the top-left output pixel, sqrt(2) from the centre, samples the input at (row 1 - sqrt(2),
  // column 1), just above the top-middle pixel (2): bilinear weights blend it with the constant fill 0.
  t.degrees = 45;
  const double d = std::sqrt(2.0) - 1.0;  // how far outside the image the sample lies
  const auto out = transformed(t, Shape{1, 3, 3}, kSquare, FillMode::Constant, 0);
  EXPECT_NEAR(out[0], (1 - d) * 2 + d * 0, 1e-5);
  EXPECT_NEAR(out[4], 5, 1e-5);  // the centre stays
}

TEST(ImageAugmentation, ZoomScalesAboutTheCentre) {
  // A horizontal ramp (value = column) magnified twice: column j shows input column 1.5 + (j - 1.5) / 2.
  std::vector<float> ramp;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) ramp.push_back(static_cast<float>(j));
  ImageTransform t;
  t.zoom = 2;
  const auto out = transformed(t, Shape{1, 4, 4}, ramp);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(out[static_cast<std::size_t>(i * 4 + j)], 0.75 + 0.5 * j, 1e-5);
  t.zoom = 0.5;  // shrunk: the columns sample -1.5, 0.5, 2.5 and 4.5; the outer two lie outside the image
  const auto small = transformed(t, Shape{1, 4, 4}, ramp);
  expect_near(std::vector<float>(small.begin(), small.begin() + 4), {0, 0.5, 2.5, 3});
  const auto small_constant = transformed(t, Shape{1, 4, 4}, ramp, FillMode::Constant, 0);
  expect_near(std::vector<float>(small_constant.begin() + 4, small_constant.begin() + 8), {0, 0.5, 2.5, 0});
}

TEST(ImageAugmentation, BrightnessScalesValues) {
  ImageTransform t;
  t.brightness = 1.5;
  expect_near(transformed(t, Shape{1, 1, 3}, {0, 2, -4}), {0, 3, -6});
}

TEST(ImageAugmentation, DrawsStayInTheirRangesAndAreSeeded) {
  ImageAugmentation aug(Params("test", {{"horizontal_flip", true}, {"width_shift", 0.1}, {"height_shift", 0.2},
                                        {"rotation", 15}, {"zoom", 0.1}, {"brightness", 0.2}}));
  const Shape chw{1, 20, 30};
  int flips = 0;
  double max_degrees = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const ImageTransform t = aug.draw(chw, 7, i);
    flips += t.flip_horizontal;
    EXPECT_FALSE(t.flip_vertical);
    EXPECT_LE(std::abs(t.dx), 3.0);
    EXPECT_LE(std::abs(t.dy), 4.0);
    EXPECT_LE(std::abs(t.degrees), 15.0);
    EXPECT_LE(std::abs(t.zoom - 1), 0.1);
    EXPECT_LE(std::abs(t.brightness - 1), 0.2);
    max_degrees = std::max(max_degrees, std::abs(t.degrees));
  }
  EXPECT_NEAR(flips / 2000.0, 0.5, 0.05);
  EXPECT_GT(max_degrees, 14.0);  // the range is used, not just its middle
  EXPECT_EQ(aug.draw(chw, 7, 5).degrees, aug.draw(chw, 7, 5).degrees);
  EXPECT_NE(aug.draw(chw, 7, 5).degrees, aug.draw(chw, 8, 5).degrees);
}

// The rectangle of rows 1-2 and columns 2-4 of both channels, after the other transforms (brightness 2 leaves it).
TEST(ImageAugmentation, ErasingSetsARectangleOfEveryChannel) {
  std::vector<float> image(40);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i);  // (2, 4, 5)
  ImageTransform t;
  t.brightness = 2.0;
  t.erase_top = 1, t.erase_left = 2, t.erase_height = 2, t.erase_width = 3;
  t.erase_value = -1.0;
  std::vector<float> expected(40);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::size_t row = i / 5 % 4, column = i % 5;
    expected[i] = row >= 1 && row <= 2 && column >= 2 ? -1.0f : 2.0f * image[i];
  }
  expect_near(transformed(t, Shape{2, 4, 5}, image), expected);
  // Noise: standard normals, a different value at each erased position.
  t.erase_noise = true;
  t.erase_seed = 3;
  const auto noisy = transformed(t, Shape{2, 4, 5}, image);
  EXPECT_NE(noisy[7], noisy[8]);
  EXPECT_NE(noisy[7], noisy[27]);
  EXPECT_EQ(noisy[0], 0.0f);
}

// torchvision's RandomErasing draws on 28x28 images: a share p of them erased, each rectangle inside the image, its
// area between 2 % and 33 % of the image's (give or take the rounding of its sides) and its aspect within [0.3, 3.3]
// (likewise); their mean area about the scale's middle, 17.5 %. Noise values are standard normal.
TEST(ImageAugmentation, ErasingDrawsRectanglesAsTorchvisionDoes) {
  const Shape chw{1, 28, 28};
  ImageAugmentation aug(Params("test", {{"erasing", 0.5}}));
  int erased = 0;
  double area_sum = 0;
  for (std::uint64_t i = 0; i < 4000; ++i) {
    const ImageTransform t = aug.draw(chw, 11, i);
    if (t.erase_height == 0) continue;
    ++erased;
    ASSERT_GE(t.erase_top, 0);
    ASSERT_GE(t.erase_left, 0);
    ASSERT_LE(t.erase_top + t.erase_height, 28);
    ASSERT_LE(t.erase_left + t.erase_width, 28);
    const double area = static_cast<double>(t.erase_height * t.erase_width) / 784.0;
    const double aspect = static_cast<double>(t.erase_height) / static_cast<double>(t.erase_width);
    EXPECT_GE(area, 0.012);
    EXPECT_LE(area, 0.37);
    EXPECT_GE(aspect, 0.3 * 0.6);
    EXPECT_LE(aspect, 3.3 / 0.6);
    area_sum += area;
  }
  EXPECT_NEAR(erased / 4000.0, 0.5, 5 * std::sqrt(0.25 / 4000));
  EXPECT_NEAR(area_sum / erased, 0.175, 0.01);
  // The other draws are what they were without erasing.
  ImageAugmentation plain(Params("test", {{"rotation", 15}})), with_erasing(Params("test", {{"rotation", 15}, {"erasing", 1.0}}));
  EXPECT_EQ(plain.draw(chw, 7, 5).degrees, with_erasing.draw(chw, 7, 5).degrees);
  EXPECT_EQ(plain.draw(chw, 7, 5).erase_height, 0);
  // Noise over many erased values: mean 0 and variance 1 within five standard errors.
  ImageAugmentation noise(Params("test", {{"erasing", 1.0}, {"erasing_value", "random"}, {"erasing_scale", {0.3, 0.3}}, {"erasing_ratio", {1.0, 1.0}}}));
  std::vector<float> images(100 * 784, 5.0f);
  noise.apply(images.data(), 100, chw, 4, 0);
  double n = 0, sum = 0, squares = 0;
  for (const float v : images)
    if (v != 5.0f) ++n, sum += v, squares += static_cast<double>(v) * v;
  ASSERT_GT(n, 100 * 200);  // about 15 x 15 values of each image
  EXPECT_NEAR(sum / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, 5 * std::sqrt(2 / n));
}

TEST(ImageAugmentation, BadSettingsAndNonImagesAreRejected) {
  EXPECT_THROW(ImageAugmentation(Params("test", {{"rotation", -5}})), InvalidArgument);
  EXPECT_THROW(ImageAugmentation(Params("test", {{"fill", "wrap"}})), InvalidArgument);
  EXPECT_THROW(ImageAugmentation(Params("test", {{"shear", 0.2}})), InvalidArgument);
  const auto refusal = [](const Params::Json& spec) {
    try {
      ImageAugmentation{Params("test", spec)};
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal({{"erasing", 1.5}}), "test: parameter 'erasing' must be in [0, 1], got 1.5");
  EXPECT_EQ(refusal({{"erasing", 0.5}, {"erasing_scale", {0.4, 0.1}}}),
            "test: parameter 'erasing_scale' must be [lo, hi] with 0 < lo <= hi <= 1, got [0.4, 0.1]");
  EXPECT_EQ(refusal({{"erasing", 0.5}, {"erasing_ratio", {3.0, 0.5}}}), "test: parameter 'erasing_ratio' must be [lo, hi] with lo <= hi, got [3, 0.5]");
  EXPECT_EQ(refusal({{"erasing", 0.5}, {"erasing_value", "noise"}}),
            "test: parameter 'erasing_value' must be a number or \"random\" (normal noise), got \"noise\"");
  ImageAugmentation aug(Params("test", {{"horizontal_flip", true}}));
  EXPECT_THROW(aug.check(Shape{784}), ShapeError);
  EXPECT_NO_THROW(aug.check(Shape{1, 28, 28}));
}
