// IDX files (the MNIST family's format), raw or gzip-compressed. Every size the header announces is checked
// against the bytes that are there, with arithmetic that cannot wrap, before anything is allocated for them.
#include <algorithm>
#include <fstream>
#include <limits>

#include <zlib.h>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {

std::vector<unsigned char> gunzip_if_compressed(std::vector<unsigned char> raw, const std::string& name, std::uintmax_t max_bytes) {
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw IoError(fmt::format("{}: zlib cannot start", name));
  const auto fail = [&](const std::string& what) {
    inflateEnd(&z);
    throw IoError(fmt::format("{}: {}", name, what));
  };
  z.next_in = raw.data();
  z.avail_in = static_cast<uInt>(std::min<std::size_t>(raw.size(), std::numeric_limits<uInt>::max()));
  std::size_t fed = z.avail_in;
  std::vector<unsigned char> out;
  unsigned char chunk[1 << 16];
  for (;;) {
    if (z.avail_in == 0 && fed < raw.size()) {  // files past 4 GiB are fed to zlib in pieces
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(raw.size() - fed, std::numeric_limits<uInt>::max()));
      fed += z.avail_in;
    }
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - z.avail_out;
    if (out.size() + produced > max_bytes) fail(fmt::format("decompresses to more than {} bytes, the most that is read", max_bytes));
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_STREAM_END) {
      const std::size_t left = z.avail_in + (raw.size() - fed);
      if (left == 0) break;
      if (left < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b)
        fail(fmt::format("{} bytes follow the end of the gzip stream; the file is damaged", left));
      inflateReset(&z);  // the next member of a multi-member gzip file
    } else if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == raw.size()) {
      fail("truncated gzip stream");
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(fmt::format("damaged gzip stream ({})", z.msg ? z.msg : fmt::format("zlib error {}", rc)));
    }
  }
  inflateEnd(&z);
  return out;
}

namespace {

// The whole file, decompressed when it is gzip (it starts with 1f 8b).
std::vector<unsigned char> read_idx_file(const std::filesystem::path& path) {
  const auto size = require_regular_file(path, "the IDX file");
  std::vector<unsigned char> raw(static_cast<std::size_t>(size));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
    throw IoError(fmt::format("{}: the IDX file cannot be read", path.string()));
  return gunzip_if_compressed(std::move(raw), path.string());
}

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
  // The pixels stay bytes, each standing for byte / divide_by divided in the dtype, not multiplied by a reciprocal:
  // torchvision's ToTensor divides in float32, and so the pixels match it bit for bit (a float64 pipeline divides
  // in double).
  d.x = SampleValues::from_bytes({bytes.begin() + 16, bytes.end()}, rows * cols, dtype, [&](std::uint8_t b) {
    return dtype == DType::Float64 ? static_cast<double>(b) / divide_by
                                   : static_cast<double>(static_cast<float>(b) / static_cast<float>(divide_by));
  });
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
  return parse_idx_images(read_idx_file(images), images.string(), divide_by, dtype);
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels, double divide_by, DType dtype) {
  Dataset d = read_idx_images(images, divide_by, dtype);
  d.labels = parse_idx_labels(read_idx_file(labels), labels.string());
  if (d.x.size() / static_cast<std::size_t>(d.features()) != d.labels.size())
    throw IoError(fmt::format("{} has {} images but {} has {} labels", images.string(), d.x.size() / static_cast<std::size_t>(d.features()),
                              labels.string(), d.labels.size()));
  d.num_classes = *std::max_element(d.labels.begin(), d.labels.end()) + 1;
  return d;
}

}  // namespace nnplug
