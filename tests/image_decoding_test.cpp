// PNG and JPEG decoding and bilinear resizing against Pillow's own pixels for the same files
// (fixtures/make_pillow_images.py), and damaged files refused by name.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "nnplug/errors.hpp"
#include "nnplug/framework/image_decoding.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

const std::string kImages = std::string(TORCH_FIXTURE_DIR) + "/images/";

std::vector<unsigned char> bytes_of(const std::string& file) {
  std::ifstream in(kImages + file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

const nlohmann::json& expected() {
  static const nlohmann::json json = nlohmann::json::parse(std::ifstream(std::string(TORCH_FIXTURE_DIR) + "/pillow_images_expected.json"));
  return json;
}

std::vector<int> pixels(const DecodedImage& image) { return {image.pixels.begin(), image.pixels.end()}; }

TEST(ImageDecoding, EveryKindOfFileDecodesAndResizesAsPillowDoes) {
  for (const auto& [file, want] : expected().items()) {
    if (!want.contains("rgb")) continue;
    SCOPED_TRACE(file);
    const auto bytes = bytes_of(file);
    const DecodedImage rgb = decode_image(bytes, file, 3), gray = decode_image(bytes, file, 1);
    EXPECT_EQ((std::vector<std::int64_t>{rgb.height, rgb.width}), want["size"].get<std::vector<std::int64_t>>());
    EXPECT_EQ(rgb.channels, 3);
    EXPECT_EQ(pixels(rgb), want["rgb"].get<std::vector<int>>());
    EXPECT_EQ(gray.channels, 1);
    EXPECT_EQ(pixels(gray), want["grayscale"].get<std::vector<int>>());
    EXPECT_EQ(pixels(resize_bilinear(rgb, 9, 31)), want["rgb_resized_9x31"].get<std::vector<int>>());
    EXPECT_EQ(pixels(resize_bilinear(gray, 40, 5)), want["grayscale_resized_40x5"].get<std::vector<int>>());
  }
}

TEST(ImageDecoding, SixteenBitSamplesKeepTheirHighBytes) {
  const DecodedImage gray = decode_image(bytes_of("gray16.png"), "gray16.png", 1);
  EXPECT_EQ(pixels(gray), expected()["gray16.png"]["grayscale"].get<std::vector<int>>());
}

TEST(ImageDecoding, TheSameSizeIsACopy) {
  const DecodedImage rgb = decode_image(bytes_of("rgb.png"), "rgb.png", 3);
  EXPECT_EQ(pixels(resize_bilinear(rgb, rgb.height, rgb.width)), pixels(rgb));
}

// A PNG of one IHDR chunk announcing width x height, with a correct CRC, and the start of an image data chunk.
std::vector<unsigned char> png_header(std::uint32_t width, std::uint32_t height) {
  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (std::uint32_t v : {width, height})
    for (int shift : {24, 16, 8, 0}) png.push_back(static_cast<unsigned char>(v >> shift));
  for (unsigned char b : {8, 2, 0, 0, 0}) png.push_back(b);  // 8 bits, RGB, deflate, no filter, no interlace
  const uLong crc = crc32(0, png.data() + 12, 17);
  for (int shift : {24, 16, 8, 0}) png.push_back(static_cast<unsigned char>(crc >> shift));
  png.insert(png.end(), {0, 0, 0, 0, 'I', 'D', 'A', 'T'});
  return png;
}

TEST(ImageDecoding, DamagedTruncatedForeignAndHugeFilesAreRefusedByName) {
  auto png = bytes_of("rgb.png"), jpeg = bytes_of("rgb.jpg");
  png.resize(png.size() / 2);
  EXPECT_EQ(error_of([&] { decode_image(png, "half.png", 3); }), "half.png: not a readable PNG image: the file ends before the image does");
  jpeg.resize(jpeg.size() / 2);
  EXPECT_EQ(error_of([&] { decode_image(jpeg, "half.jpg", 3); }), "half.jpg: not a readable JPEG image: Premature end of JPEG file");
  auto flipped = bytes_of("rgb.png");
  flipped[60] ^= 0xff;  // inside the compressed image data: its checksum no longer matches
  EXPECT_EQ(error_of([&] { decode_image(flipped, "flipped.png", 3); }), "flipped.png: not a readable PNG image: IDAT: incorrect data check");
  const std::vector<unsigned char> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(error_of([&] { decode_image(text, "notes.png", 3); }),
            "notes.png: neither a PNG nor a JPEG image (its first bytes are not their signatures)");
  EXPECT_EQ(error_of([&] { decode_image({}, "empty.jpg", 3); }), "empty.jpg: neither a PNG nor a JPEG image (its first bytes are not their signatures)");
  EXPECT_EQ(error_of([&] { decode_image(png_header(100000, 100000), "huge.png", 3); }),
            "huge.png: not a readable PNG image: the header announces 100000 x 100000 pixels, more pixels than one image may have (2^28)");
  // 4000 x 4000 pixels (48 MB) from a 41-byte file: a bomb's header, refused before the pixels are allocated.
  EXPECT_EQ(error_of([&] { decode_image(png_header(4000, 4000), "bomb.png", 3); }),
            "bomb.png: not a readable PNG image: the header announces 4000 x 4000 pixels, more pixels than its bytes can hold");
}

}  // namespace
}  // namespace nnplug::test
