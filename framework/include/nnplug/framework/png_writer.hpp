#pragma once
// Grey-scale or RGB images as PNG files (zlib-compressed, 8 bits per channel), for pictures a report embeds.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nnplug {

// pixels: height rows of width * channels bytes (channels 1: grey, 3: RGB). Returns the PNG file's bytes.
std::string encode_png(const std::vector<std::uint8_t>& pixels, int width, int height, int channels);

// Tiles: `count` images of h x w values each (row-major, one after another) laid out in a grid, each scaled on
// its own to [0, 255], with a 1-pixel gap. Returns the grey pixels and sets width and height.
std::vector<std::uint8_t> tile_grid(const std::vector<double>& values, int count, int h, int w, int& width, int& height);

}  // namespace nnplug
