#include "nnplug/framework/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

void require_writable_destination(const std::filesystem::path& path, std::string_view what) {
  if (path.empty()) throw IoError(fmt::format("cannot write {}: the path is empty", what));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(fmt::format("{}: cannot write {}: it is a directory", path.string(), what));
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(folder, ec))
    throw IoError(fmt::format("{}: cannot write {}: {} is not an existing folder", path.string(), what, folder.string()));
  if (::access(folder.c_str(), W_OK) != 0)
    throw IoError(fmt::format("{}: cannot write {}: the folder {} is not writable ({})", path.string(), what, folder.string(), std::strerror(errno)));
}

void write_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write, std::string_view what) {
  // Said before anything is written: the rename at the end would fail after a whole file's work.
  require_writable_destination(path, what);
  // The process id keeps two processes writing the same file from sharing a temporary file.
  const std::string temporary = fmt::format("{}.tmp.{}", path.string(), getpid());
  const std::string failed = fmt::format("{}: cannot write {}", path.string(), what);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(fmt::format("{} (cannot create {})", failed, temporary));
    write(out);
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      throw IoError(fmt::format("{} (writing {} failed: disk full?)", failed, temporary));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw IoError(fmt::format("{} (cannot rename the temporary file into place: {})", failed, ec.message()));
  }
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  write_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); }, what);
}

}  // namespace nnplug
