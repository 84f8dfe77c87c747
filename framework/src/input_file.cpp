#include "nnplug/framework/input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <limits>
#include <system_error>

#include <zlib.h>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

namespace {

const char* kind_of(std::filesystem::file_type type) {
  using std::filesystem::file_type;
  switch (type) {
    case file_type::directory: return "a directory";
    case file_type::fifo: return "a FIFO (named pipe)";
    case file_type::character: return "a character device";
    case file_type::block: return "a block device";
    case file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

}  // namespace

std::uintmax_t require_regular_file(const std::filesystem::path& path, const std::string& what, std::uintmax_t max_bytes) {
  const std::string where = fmt::format("{}: {}", path.string(), what);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) throw IoError(fmt::format("{} does not exist", where));
    if (ec.value() == ELOOP) throw IoError(fmt::format("{} is a symlink loop", where));
    if (ec == std::errc::permission_denied) throw IoError(fmt::format("{} cannot be reached (permission denied)", where));
    throw IoError(fmt::format("{} cannot be examined: {}", where, ec.message()));
  }
  if (status.type() == std::filesystem::file_type::not_found) throw IoError(fmt::format("{} does not exist", where));
  if (status.type() != std::filesystem::file_type::regular)
    throw IoError(fmt::format("{} is {}, not a regular file", where, kind_of(status.type())));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(fmt::format("{} cannot be examined: {}", where, ec.message()));
  if (size > max_bytes)
    throw IoError(fmt::format("{} has {} bytes; at most {} are read", where, size, max_bytes));
  return size;
}

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

std::vector<unsigned char> read_input_bytes(const std::filesystem::path& path, const std::string& what) {
  const auto size = require_regular_file(path, what);
  std::vector<unsigned char> raw(static_cast<std::size_t>(size));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
    throw IoError(fmt::format("{}: {} cannot be read", path.string(), what));
  return gunzip_if_compressed(std::move(raw), path.string());
}

}  // namespace nnplug
