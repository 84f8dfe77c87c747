#include "nnplug/framework/dataset.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>

#include <zlib.h>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {

Dataset Dataset::subset(const std::vector<std::int64_t>& indices) const {
  Dataset out;
  out.sample_shape = sample_shape;
  out.num_classes = num_classes;
  const auto f = static_cast<std::size_t>(features());
  out.x.resize(indices.size() * f);
  out.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const auto src = static_cast<std::size_t>(indices[i]);
    std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(src * f), f, out.x.begin() + static_cast<std::ptrdiff_t>(i * f));
    out.labels[i] = labels[src];
  }
  return out;
}

Dataset Dataset::head(std::int64_t n) const {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(n, size())));
  std::iota(idx.begin(), idx.end(), 0);
  return subset(idx);
}

std::pair<Dataset, Dataset> split(const Dataset& data, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    throw InvalidArgument("validation split must be in [0, 1), got " + std::to_string(fraction));
  std::vector<std::int64_t> idx(static_cast<std::size_t>(data.size()));
  std::iota(idx.begin(), idx.end(), 0);
  Random random(seed);
  for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[random.below(i)]);
  const auto second = static_cast<std::size_t>(static_cast<double>(idx.size()) * fraction + 0.5);
  std::vector<std::int64_t> a(idx.begin(), idx.end() - static_cast<std::ptrdiff_t>(second));
  std::vector<std::int64_t> b(idx.end() - static_cast<std::ptrdiff_t>(second), idx.end());
  return {data.subset(a), data.subset(b)};
}

Splits split_three(const Dataset& data, double validation_fraction, double test_fraction, std::uint64_t seed) {
  if (!(validation_fraction >= 0 && test_fraction >= 0 && validation_fraction + test_fraction < 1))
    throw InvalidArgument("validation and test fractions must be >= 0 and leave some training data, got " +
                          std::to_string(validation_fraction) + " and " + std::to_string(test_fraction));
  if (test_fraction == 0) {  // the plain two-way split, so that adding this function changed no existing run
    auto [train, validation] = split(data, validation_fraction, seed);
    return {std::move(train), std::move(validation), {}};
  }
  auto [rest, test] = split(data, test_fraction, seed);
  auto [train, validation] = split(rest, validation_fraction / (1.0 - test_fraction), seed + 1);
  return {std::move(train), std::move(validation), std::move(test)};
}

namespace {

// The whole file; a gzip file (it starts with 1f 8b) decompressed, every member of it, and nothing after its last
// member (gzread would skip trailing bytes without a word).
std::vector<unsigned char> read_file(const std::filesystem::path& path) {
  const auto size = require_regular_file(path, "the IDX file");
  std::vector<unsigned char> raw(static_cast<std::size_t>(size));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
    throw IoError(path.string() + ": the IDX file cannot be read");
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;

  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw IoError(path.string() + ": zlib cannot start");
  const auto fail = [&](const std::string& what) {
    inflateEnd(&z);
    throw IoError(path.string() + ": " + what);
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
    if (out.size() + produced > kMaxInputBytes)
      fail(fmt::format("decompresses to more than {} bytes, the most that is read", kMaxInputBytes));
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

std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

Dataset read_idx_images(const std::filesystem::path& images, double divide_by) {
  if (!(divide_by > 0)) throw InvalidArgument("divide_by must be positive, got " + std::to_string(divide_by));
  const auto img = read_file(images);
  if (img.size() < 16 || be32(img, 0) != 0x00000803)
    throw IoError(images.string() + ": not an IDX image file (expected magic 0x00000803 and a 16-byte header)");
  const std::size_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  const std::string announced = fmt::format("{} images of {}x{}", n, rows, cols);
  // Three 32-bit sizes multiply past 64 bits: checked, so that a hostile header cannot wrap around to the file's size.
  std::size_t pixels = 0, bytes = 0;
  if (__builtin_mul_overflow(n, rows, &pixels) || __builtin_mul_overflow(pixels, cols, &pixels) || __builtin_add_overflow(pixels, 16, &bytes))
    throw IoError(images.string() + ": header announces " + announced + ", more bytes than 64 bits can count");
  if (img.size() != bytes)
    throw IoError(fmt::format("{}: header announces {} ({} bytes) but the file has {} bytes", images.string(), announced, bytes, img.size()));
  if (n == 0 || rows == 0 || cols == 0) throw IoError(images.string() + ": header announces " + announced + ": there is nothing to read");
  Dataset d;
  d.sample_shape = Shape{static_cast<std::int64_t>(rows * cols)};
  d.x.resize(n * rows * cols);
  const float scale = static_cast<float>(1.0 / divide_by);
  for (std::size_t i = 0; i < d.x.size(); ++i) d.x[i] = static_cast<float>(img[16 + i]) * scale;
  d.labels.assign(n, -1);
  return d;
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels, double divide_by) {
  Dataset d = read_idx_images(images, divide_by);
  const auto lab = read_file(labels);
  if (lab.size() < 8 || be32(lab, 0) != 0x00000801)
    throw IoError(labels.string() + ": not an IDX label file (expected magic 0x00000801 and an 8-byte header)");
  const std::size_t nl = be32(lab, 4);
  if (lab.size() != 8 + nl)
    throw IoError(labels.string() + ": header announces " + std::to_string(nl) + " labels but the file has " +
                  std::to_string(lab.size() - 8));
  if (d.labels.size() != nl)
    throw IoError(images.string() + " has " + std::to_string(d.labels.size()) + " images but " + labels.string() + " has " +
                  std::to_string(nl) + " labels");
  std::int32_t max_label = 0;
  for (std::size_t i = 0; i < nl; ++i) {
    d.labels[i] = lab[8 + i];
    max_label = std::max(max_label, d.labels[i]);
  }
  d.num_classes = max_label + 1;
  return d;
}

}  // namespace nnplug
