#include "nnplug/framework/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

namespace fs = std::filesystem;

namespace {

// What `path` names once symbolic links are followed: a regular file (or nothing yet) takes a temporary file
// renamed over it; a character device (/dev/null, a terminal through /dev/stdout) or a FIFO takes the bytes in
// place, since a rename would replace the device node or the pipe with a regular file.
fs::file_type type_of(const fs::path& path) {
  std::error_code ec;
  return fs::status(path, ec).type();
}

bool written_in_place(fs::file_type type) { return type == fs::file_type::character || type == fs::file_type::fifo; }

void write_in_place(const fs::path& path, bool fifo, const std::function<void(std::ostream&)>& write, const std::string& failed) {
  // A FIFO that no process reads would block the open for ever: opened without blocking first, it says so at once,
  // and while that descriptor is open the stream's own open does not wait.
  int reader_check = -1;
  if (fifo && (reader_check = ::open(path.c_str(), O_WRONLY | O_NONBLOCK)) < 0)
    throw IoError(fmt::format("{} (it is a FIFO{})", failed, errno == ENXIO ? " that no process reads" : fmt::format(": {}", std::strerror(errno))));
  std::ofstream out(path, std::ios::binary);
  if (reader_check >= 0) ::close(reader_check);
  if (!out) throw IoError(fmt::format("{} (it cannot be opened for writing)", failed));
  write(out);
  out.flush();
  if (!out) throw IoError(fmt::format("{} (writing to it failed)", failed));
}

// The file a write replaces: `path`, or for a symbolic link to a file the file it names (the link stays a link,
// and the temporary file goes beside that file, in its folder).
fs::path replaced_file(const fs::path& path, fs::file_type type) {
  std::error_code ec;
  if (type != fs::file_type::regular || !fs::is_symlink(path, ec)) return path;
  fs::path target = fs::canonical(path, ec);
  return ec ? path : target;
}

}  // namespace

void require_writable_destination(const fs::path& path, std::string_view what) {
  if (path.empty()) throw IoError(fmt::format("cannot write {}: the path is empty", what));
  const fs::file_type type = type_of(path);
  if (type == fs::file_type::directory) throw IoError(fmt::format("{}: cannot write {}: it is a directory", path.string(), what));
  if (type == fs::file_type::block || type == fs::file_type::socket)
    throw IoError(fmt::format("{}: cannot write {}: it is a {}, not a file", path.string(), what, type == fs::file_type::block ? "block device" : "socket"));
  if (written_in_place(type)) {
    if (::access(path.c_str(), W_OK) != 0) throw IoError(fmt::format("{}: cannot write {}: {}", path.string(), what, std::strerror(errno)));
    return;
  }
  const fs::path target = replaced_file(path, type);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw IoError(fmt::format("{}: cannot write {}: {} is not an existing folder", path.string(), what, folder.string()));
  if (::access(folder.c_str(), W_OK) != 0)
    throw IoError(fmt::format("{}: cannot write {}: the folder {} is not writable ({})", path.string(), what, folder.string(), std::strerror(errno)));
}

void write_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write, std::string_view what) {
  // Said before anything is written: the rename at the end would fail after a whole file's work.
  require_writable_destination(path, what);
  const std::string failed = fmt::format("{}: cannot write {}", path.string(), what);
  const fs::file_type type = type_of(path);
  if (written_in_place(type)) return write_in_place(path, type == fs::file_type::fifo, write, failed);
  const fs::path target = replaced_file(path, type);
  // The process id keeps two processes writing the same file from sharing a temporary file.
  const std::string temporary = fmt::format("{}.tmp.{}", target.string(), getpid());
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
  fs::rename(temporary, target, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw IoError(fmt::format("{} (cannot rename the temporary file into place: {})", failed, ec.message()));
  }
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  write_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); }, what);
}

}  // namespace nnplug
