#include "nnplug/framework/png_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

namespace {

void put32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  put32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string encode_png(const std::vector<std::uint8_t>& pixels, int width, int height, int channels) {
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3) ||
      pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * static_cast<std::size_t>(channels))
    throw InvalidArgument(fmt::format("encode_png: {} bytes do not make a {}x{} image of {} channels", pixels.size(), width, height, channels));
  // Each row starts with its filter type (0: none).
  const std::size_t row = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  std::string raw;
  raw.reserve((row + 1) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(pixels.data()) + static_cast<std::size_t>(y) * row, row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 9) != Z_OK)
    throw Error("encode_png: zlib could not compress the image");
  packed.resize(packed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put32(header, static_cast<std::uint32_t>(width));
  put32(header, static_cast<std::uint32_t>(height));
  header += std::string{8, static_cast<char>(channels == 1 ? 0 : 2), 0, 0, 0};  // depth, colour type, compression, filter, interlace
  chunk(png, "IHDR", header);
  chunk(png, "IDAT", packed);
  chunk(png, "IEND", "");
  return png;
}

std::vector<std::uint8_t> tile_grid(const std::vector<double>& values, int count, int h, int w, int& width, int& height) {
  if (count <= 0 || h <= 0 || w <= 0 || values.size() < static_cast<std::size_t>(count) * static_cast<std::size_t>(h * w))
    throw InvalidArgument("tile_grid: not enough values for the tiles");
  const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
  const int rows = (count + columns - 1) / columns;
  width = columns * (w + 1) + 1, height = rows * (h + 1) + 1;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 255);
  for (int t = 0; t < count; ++t) {
    const double* tile = values.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(h * w);
    const auto [lo, hi] = std::minmax_element(tile, tile + h * w);
    const double span = *hi - *lo > 0 ? *hi - *lo : 1.0;
    const int x0 = 1 + (t % columns) * (w + 1), y0 = 1 + (t / columns) * (h + 1);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        pixels[static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x0 + x)] =
            static_cast<std::uint8_t>(std::lround(255.0 * (tile[y * w + x] - *lo) / span));
  }
  return pixels;
}

}  // namespace nnplug
