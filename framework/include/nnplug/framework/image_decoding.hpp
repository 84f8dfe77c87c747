#pragma once
// PNG and JPEG files decoded to 8-bit pixels, through libpng and libjpeg(-turbo), as Pillow decodes them for
// torchvision's ImageFolder: Image.open(f).convert("RGB") or .convert("L"), bit for bit for 8-bit images.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnplug {

// Pixels row by row, each pixel's channels together (HWC): 1 channel (gray) or 3 (red, green, blue).
struct DecodedImage {
  std::int64_t height = 0, width = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

// The most pixels one image may have: 2^28 (16384 x 16384), so that a small file announcing a huge image is refused
// before anything is allocated for it.
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 28;

// Decodes the bytes of a PNG or a JPEG file, told apart by their signature, to `channels` 1 or 3. Alpha is dropped
// (not composed over a background), palettes are looked up, 16-bit samples keep their high byte, and a colour image
// becomes gray as Pillow's "L" weighs it (ITU-R 601-2 luma: 0.299 R + 0.587 G + 0.114 B, in fixed point).
// Throws IoError naming `name` for another format, a damaged or truncated file (a JPEG's warnings included: Pillow
// refuses a truncated file too), a CMYK JPEG, or a header announcing more than kMaxImagePixels pixels or more than
// the file's bytes can hold (checked before the pixels are allocated).
DecodedImage decode_image(std::span<const unsigned char> bytes, const std::string& name, int channels);

// The image resized to height x width as Pillow's Image.resize with Image.BILINEAR does (torchvision's Resize on a
// PIL image): a triangle filter widened by the scale when shrinking (antialiasing), coefficients in fixed point,
// the horizontal pass first, each pass rounded to bytes.
DecodedImage resize_bilinear(const DecodedImage& image, std::int64_t height, std::int64_t width);

}  // namespace nnplug
