// Fuzz target: PNG and JPEG decoding and resizing on arbitrary bytes. The first byte picks the channels (even: gray,
// odd: RGB) and the size the image is resized to (1 to 64 on each side). Any input must either decode or throw
// IoError; a crash, a sanitizer report, a hang or a huge allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "nnplug/errors.hpp"
#include "nnplug/framework/image_decoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  try {
    const int channels = data[0] % 2 ? 3 : 1;
    const nnplug::DecodedImage image = nnplug::decode_image(std::span(data + 1, size - 1), "fuzz.png", channels);
    if (image.pixels.size() != static_cast<std::size_t>(image.height * image.width * channels)) __builtin_trap();
    const std::int64_t side = 1 + (data[0] >> 2);
    const nnplug::DecodedImage resized = nnplug::resize_bilinear(image, side, side + 1);
    if (resized.pixels.size() != static_cast<std::size_t>(side * (side + 1) * channels)) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
