// What the atomic writer does with destinations that are not plain files: a symbolic link stays a link (the file
// it names is replaced), a FIFO is written in place when a process reads it and refused at once when none does,
// and a character device (made here with mknod, as root: the /dev/null and /dev/full of this test's own folder) is
// written in place or fails as the device does, never replaced by a regular file.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nnplug/errors.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ScratchFolderTest {
 protected:
  AtomicFile() : ScratchFolderTest("atomic") {}
  static std::string read(const fs::path& p) {
    std::stringstream ss;
    ss << std::ifstream(p).rdbuf();
    return ss.str();
  }
};

TEST_F(AtomicFile, ASymbolicLinkStaysALinkAndItsFileIsReplaced) {
  std::ofstream(dir_ / "real.json") << "old";
  fs::create_symlink("real.json", dir_ / "link.json");
  write_text_atomically(dir_ / "link.json", "new", "the metrics");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_EQ(read(dir_ / "real.json"), "new");
}

TEST_F(AtomicFile, AFifoIsWrittenInPlaceWhenReadAndRefusedAtOnceWhenNot) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { write_text_atomically(fifo, "x", "the metrics"); }),
            fmt::format("{}: cannot write the metrics (it is a FIFO that no process reads)", fifo.string()));
  // A reader: the read end opened without waiting for a writer; the text fits in the pipe's buffer.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  write_text_atomically(fifo, "through the pipe", "the metrics");
  std::string received(64, '\0');
  const auto n = ::read(reader, received.data(), received.size());
  ::close(reader);
  received.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  EXPECT_EQ(received, "through the pipe");
  EXPECT_EQ(fs::status(fifo).type(), fs::file_type::fifo);
}

TEST_F(AtomicFile, ACharacterDeviceIsWrittenInPlaceAndNeverReplaced) {
  const fs::path null = dir_ / "null", full = dir_ / "full";
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0 || ::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0)
    GTEST_SKIP() << "making character devices needs root (mknod)";
  write_text_atomically(null, "gone", "the predictions");
  EXPECT_EQ(fs::status(null).type(), fs::file_type::character);
  EXPECT_EQ(error_of([&] { write_text_atomically(full, std::string(1 << 16, 'x'), "the predictions"); }),
            fmt::format("{}: cannot write the predictions (writing to it failed)", full.string()));
  EXPECT_EQ(fs::status(full).type(), fs::file_type::character);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2);  // no temporary file left beside them
}

}  // namespace
}  // namespace nnplug::test
