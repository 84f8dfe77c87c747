// IDX files (the MNIST family's format), raw or gzip-compressed. Every size the header announces is checked
// against the bytes that are there, with arithmetic that cannot wrap, before anything is allocated for them.
#include <algorithm>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {

namespace {

std::uint32_t be32(std::span<const unsigned char> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

Dataset parse_idx_images(std::span<const unsigned char> bytes, const std::string& name, double divide_by, DType dtype) {
  if (!(divide_by > 0)) throw InvalidArgument(fmt::format("divide_by must be positive, got {}", divide_by));
  if (bytes.size() < 16 || be32(bytes, 0) != 0x00000803)
    throw IoError(fmt::format("{}: not an IDX image file (expected magic 0x00000803 and a 16-byte header)", name));
  const std::size_t n = be32(bytes, 4), rows = be32(bytes, 8), cols = be32(bytes, 12);
  const std::string announced = fmt::format("{} images of {}x{}", n, rows, cols);
  // Three 32-bit sizes multiply past 64 bits: checked, so that a hostile header cannot wrap around to the file's size.
  std::size_t pixels = 0, expected = 0;
  if (__builtin_mul_overflow(n, rows, &pixels) || __builtin_mul_overflow(pixels, cols, &pixels) || __builtin_add_overflow(pixels, 16, &expected))
    throw IoError(fmt::format("{}: header announces {}, more bytes than 64 bits can count", name, announced));
  if (bytes.size() != expected)
    throw IoError(fmt::format("{}: header announces {} ({} bytes) but the file has {} bytes", name, announced, expected, bytes.size()));
  if (n == 0 || rows == 0 || cols == 0) throw IoError(fmt::format("{}: header announces {}: there is nothing to read", name, announced));
  Dataset d;
  d.sample_shape = Shape{static_cast<std::int64_t>(rows * cols)};
  // The pixels stay bytes, each standing for byte / divide_by divided in the dtype (divided_in).
  d.x = SampleValues::from_bytes({bytes.begin() + 16, bytes.end()}, rows * cols, dtype,
                                 [&](std::uint8_t b) { return divided_in(dtype, b, divide_by); });
  d.labels.assign(n, -1);
  return d;
}

std::vector<std::int32_t> parse_idx_labels(std::span<const unsigned char> bytes, const std::string& name) {
  if (bytes.size() < 8 || be32(bytes, 0) != 0x00000801)
    throw IoError(fmt::format("{}: not an IDX label file (expected magic 0x00000801 and an 8-byte header)", name));
  const std::size_t n = be32(bytes, 4);
  if (bytes.size() - 8 != n) throw IoError(fmt::format("{}: header announces {} labels but the file has {}", name, n, bytes.size() - 8));
  if (n == 0) throw IoError(fmt::format("{}: header announces 0 labels: there is nothing to read", name));
  return {bytes.begin() + 8, bytes.end()};
}

Dataset read_idx_images(const std::filesystem::path& images, double divide_by, DType dtype) {
  return parse_idx_images(read_input_bytes(images, "the IDX file"), images.string(), divide_by, dtype);
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels, double divide_by, DType dtype) {
  Dataset d = read_idx_images(images, divide_by, dtype);
  d.labels = parse_idx_labels(read_input_bytes(labels, "the IDX file"), labels.string());
  if (d.x.size() / static_cast<std::size_t>(d.features()) != d.labels.size())
    throw IoError(fmt::format("{} has {} images but {} has {} labels", images.string(), d.x.size() / static_cast<std::size_t>(d.features()),
                              labels.string(), d.labels.size()));
  d.num_classes = *std::max_element(d.labels.begin(), d.labels.end()) + 1;
  return d;
}

}  // namespace nnplug
