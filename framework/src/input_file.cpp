#include "nnplug/framework/input_file.hpp"

#include <cerrno>
#include <system_error>

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

}  // namespace nnplug
