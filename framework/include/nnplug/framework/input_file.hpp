#pragma once
// What every reader asks of a file a user named, before it opens it: that it is a regular file. A FIFO would block
// the reader forever, a device such as /dev/zero would be read until memory runs out, a directory or a socket
// cannot be read as a file, and a symlink loop never resolves. Each is refused by name, as is a file larger than a
// reader will hold in memory. A file compressed by gzip is read decompressed, by any reader.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nnplug {

// The most any single read of a user's file may bring into memory: 16 GiB (decompressed, for gzip).
inline constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{16} << 30;

// Throws IoError naming the path, `what` it was to be ("the spec file") and what it is instead. Returns its size.
std::uintmax_t require_regular_file(const std::filesystem::path& path, const std::string& what,
                                    std::uintmax_t max_bytes = kMaxInputBytes);

// `raw` itself, or all members of the gzip stream it holds decompressed when it starts with gzip's magic bytes
// (1f 8b); bytes after the last member, a truncated or damaged stream, or more than max_bytes out are an IoError.
std::vector<unsigned char> gunzip_if_compressed(std::vector<unsigned char> raw, const std::string& name,
                                                std::uintmax_t max_bytes = kMaxInputBytes);

// The whole of a regular file (require_regular_file), decompressed when it is gzip.
std::vector<unsigned char> read_input_bytes(const std::filesystem::path& path, const std::string& what);

}  // namespace nnplug
