#pragma once
// Writing a file so that a crash or a full disk never leaves it half written: the content goes to a temporary
// file beside it, which is then renamed over the old one (atomic on POSIX file systems). A symbolic link stays a
// link (the file it names is replaced); a character device (/dev/null, /dev/stdout) or a FIFO that a process
// reads is written in place, never replaced by a regular file.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace nnplug {

// Throws IoError naming `path` and `what` when a file could not be written there: an empty path, a directory, a
// block device or a socket, a folder that does not exist or cannot be written, a device or FIFO that cannot be
// written. Said before work whose result would then be lost.
void require_writable_destination(const std::filesystem::path& path, std::string_view what);

// write(out) fills the temporary file. Throws IoError naming `path` (and `what`, e.g. "the history") when it
// cannot be written; the old file, if any, is then left as it was and the temporary file is removed.
void write_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write,
                      std::string_view what = "the file");
void write_text_atomically(const std::filesystem::path& path, std::string_view text, std::string_view what = "the file");

}  // namespace nnplug
