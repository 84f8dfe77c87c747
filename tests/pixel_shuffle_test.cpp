// pixel_shuffle and pixel_unshuffle (torch.nn.PixelShuffle and PixelUnshuffle) by PyTorch's definition,
// out[n, c, h r + i, w r + j] = in[n, c r² + i r + j, h, w]: each output element names the input element it came from.
// Also: the one is the other's inverse, their gradients are the reverse reorders (the float64 gradient check), and
// the shapes they refuse.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> layer(const Params::Json& spec) { return registry().create_layer(Params("test", spec)); }

// Element i of a tensor holds i.
std::vector<double> counting(std::int64_t n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return v;
}

TEST(PixelShuffle, MovesEachBlockOfChannelsIntoABlockOfPixelsAsPyTorchDefinesIt) {
  auto be = cpu_backend();
  const std::int64_t n = 2, c = 3, r = 2, h = 4, w = 5;
  auto shuffle = layer({{"type", "pixel_shuffle"}, {"upscale_factor", r}});
  ASSERT_EQ(shuffle->build(Shape{c * r * r, h, w}, BuildContext{*be, DType::Float64}), (Shape{c, h * r, w * r}));
  const auto x = counting(n * c * r * r * h * w);
  const auto y = to_host<double>(shuffle->forward(tensor(*be, Shape{n, c * r * r, h, w}, x)));
  for (std::int64_t s = 0; s < n; ++s)
    for (std::int64_t k = 0; k < c; ++k)
      for (std::int64_t oh = 0; oh < h * r; ++oh)
        for (std::int64_t ow = 0; ow < w * r; ++ow) {
          const std::int64_t from = ((s * c * r * r + k * r * r + (oh % r) * r + ow % r) * h + oh / r) * w + ow / r;
          const std::int64_t to = ((s * c + k) * h * r + oh) * w * r + ow;
          ASSERT_EQ(y[static_cast<std::size_t>(to)], x[static_cast<std::size_t>(from)]) << s << " " << k << " " << oh << " " << ow;
        }
  // pixel_unshuffle takes the output back to the input, and so does the shuffle's backward pass.
  auto unshuffle = layer({{"type", "pixel_unshuffle"}, {"downscale_factor", r}});
  ASSERT_EQ(unshuffle->build(Shape{c, h * r, w * r}, BuildContext{*be, DType::Float64}), (Shape{c * r * r, h, w}));
  EXPECT_EQ(to_host<double>(unshuffle->forward(tensor(*be, Shape{n, c, h * r, w * r}, y))), x);
  EXPECT_EQ(to_host<double>(shuffle->backward(tensor(*be, Shape{n, c, h * r, w * r}, y), true)), x);
}

TEST(PixelShuffle, PassesTheGradientCheck) {
  check_layer(*layer({{"type", "pixel_shuffle"}, {"upscale_factor", 2}}), Shape{8, 2, 3}, 2, random_normal(96, 5));
  check_layer(*layer({{"type", "pixel_unshuffle"}, {"downscale_factor", 3}}), Shape{2, 3, 6}, 2, random_normal(72, 6));
}

TEST(PixelShuffle, RefusesShapesThatDoNotDivideIntoBlocks) {
  auto be = cpu_backend();
  const BuildContext ctx{*be, DType::Float32};
  EXPECT_EQ(error_of([&] { layer({{"type", "pixel_shuffle"}, {"upscale_factor", 2}})->build(Shape{6, 4, 4}, ctx); }),
            "pixel_shuffle: 6 channels do not divide into blocks of upscale_factor² = 4 (input [6, 4, 4])");
  EXPECT_EQ(error_of([&] { layer({{"type", "pixel_unshuffle"}, {"downscale_factor", 3}})->build(Shape{1, 6, 7}, ctx); }),
            "pixel_unshuffle: a 6 x 7 image does not divide into 3 x 3 blocks (input [1, 6, 7])");
  EXPECT_EQ(error_of([&] { layer({{"type", "pixel_shuffle"}, {"upscale_factor", 2}})->build(Shape{16}, ctx); }),
            "pixel_shuffle takes images (C, H, W), got [16]");
  EXPECT_EQ(error_of([] { layer({{"type", "pixel_shuffle"}}); }), "test: parameter 'upscale_factor' is required");
  EXPECT_THROW(layer({{"type", "pixel_unshuffle"}, {"downscale_factor", 0}}), InvalidArgument);
}

}  // namespace
}  // namespace nnplug::test
