// Files a reader must refuse before reading: not regular (FIFO, device, directory, socket), a symlink loop, too
// large; and an IDX header whose sizes multiply past 64 bits (the product could wrap round to the file's size).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "nnplug/framework/spec.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

class InputFileTest : public ScratchFolderTest {
 protected:
  InputFileTest() : ScratchFolderTest("input") {}
  template <typename Read>
  static std::string error_of(Read&& read) {
    try {
      read();
    } catch (const IoError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

TEST_F(InputFileTest, EveryReaderRefusesAFifoByName) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto is_fifo = [&](const char* what) { return fmt::format("{}: {} is a FIFO (named pipe), not a regular file", fifo.string(), what); };
  EXPECT_EQ(error_of([&] { load_spec(fifo); }), is_fifo("the spec file"));
  EXPECT_EQ(error_of([&] { read_idx_images(fifo, 1.0); }), is_fifo("the IDX file"));
  EXPECT_EQ(error_of([&] { read_csv(fifo, -1); }), is_fifo("the CSV file"));
  EXPECT_EQ(error_of([&] { read_safetensors(fifo); }), is_fifo("the model file"));
}

TEST_F(InputFileTest, DevicesDirectoriesSocketsAndLoopsAreNamed) {
  EXPECT_EQ(error_of([] { require_regular_file("/dev/zero", "the IDX file"); }),
            "/dev/zero: the IDX file is a character device, not a regular file");
  EXPECT_EQ(error_of([&] { require_regular_file(dir_, "the spec file"); }), fmt::format("{}: the spec file is a directory, not a regular file", dir_.string()));
  const fs::path socket_path = dir_ / "socket";
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket_path.string().copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(error_of([&] { require_regular_file(socket_path, "the CSV file"); }),
            fmt::format("{}: the CSV file is a socket, not a regular file", socket_path.string()));
  ::close(s);
  fs::create_symlink(dir_ / "b", dir_ / "a");
  fs::create_symlink(dir_ / "a", dir_ / "b");
  EXPECT_EQ(error_of([&] { require_regular_file(dir_ / "a", "the model file"); }), fmt::format("{}: the model file is a symlink loop", (dir_ / "a").string()));
  EXPECT_EQ(error_of([&] { require_regular_file(dir_ / "none", "the model file"); }), fmt::format("{}: the model file does not exist", (dir_ / "none").string()));
}

TEST_F(InputFileTest, AFileLargerThanTheReadLimitIsRefusedWithItsSize) {
  const fs::path big = dir_ / "big.json";
  std::ofstream(big) << std::string(100, ' ');
  EXPECT_EQ(error_of([&] { require_regular_file(big, "the spec file", 64); }), fmt::format("{}: the spec file has 100 bytes; at most 64 are read", big.string()));
  EXPECT_EQ(require_regular_file(big, "the spec file", 100), 100u);
}

TEST_F(InputFileTest, AnIdxHeaderWhoseSizesOverflowIsRefused) {
  // 2^16 images of 2^24 x 2^24 pixels: 2^64 bytes wrap round to 0, and 16 + 0 is this file's size.
  const unsigned char wraps[16] = {0, 0, 8, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
  const fs::path file = dir_ / "images.idx";
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(wraps), sizeof wraps);
  EXPECT_EQ(error_of([&] { read_idx_images(file, 1.0); }),
            fmt::format("{}: header announces 65536 images of 16777216x16777216, more bytes than 64 bits can count", file.string()));
  // Sizes that fit but do not match the file.
  const unsigned char short_file[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0};
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(short_file), sizeof short_file);
  EXPECT_EQ(error_of([&] { read_idx_images(file, 1.0); }),
            fmt::format("{}: header announces 1 images of 65536x65536 (4294967312 bytes) but the file has 16 bytes", file.string()));
}

// gzip members of these bytes, one after another, as `cat a.gz b.gz` makes them.
void write_gzip_members(const fs::path& path, const std::vector<std::string>& members) {
  std::string file;
  for (const auto& m : members) {
    const fs::path part = fmt::format("{}.part", path.string());
    gzFile f = gzopen(part.c_str(), "wb");
    gzwrite(f, m.data(), static_cast<unsigned>(m.size()));
    gzclose(f);
    std::ifstream in(part, std::ios::binary);
    file += std::string((std::istreambuf_iterator<char>(in)), {});
    fs::remove(part);
  }
  std::ofstream(path, std::ios::binary) << file;
}

TEST_F(InputFileTest, AnIdxFileOfNoImagesOrOfEmptyImagesIsRefused) {
  const fs::path file = dir_ / "images.idx";
  for (const auto& [header, announced] : std::vector<std::pair<std::string, std::string>>{
           {std::string{0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28}, "0 images of 28x28"},
           {std::string{0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 28}, "5 images of 0x28"}}) {
    std::ofstream(file, std::ios::binary) << header;
    EXPECT_EQ(error_of([&] { read_idx_images(file, 1.0); }), fmt::format("{}: header announces {}: there is nothing to read", file.string(), announced));
  }
}

TEST_F(InputFileTest, PixelsAreDividedAsTorchvisionDividesThem) {
  const fs::path file = dir_ / "images.idx";
  std::string bytes{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0, 16};
  for (int v = 0; v < 256; ++v) bytes += static_cast<char>(v);
  std::ofstream(file, std::ios::binary) << bytes;
  const auto x = read_idx_images(file, 255).x;
  // ToTensor: the byte as float32, divided by 255 in float32: one correctly rounded division. A product with the
  // rounded reciprocal differs in the last bit for 126 of the 256 values (3 is the first).
  for (int v = 0; v < 256; ++v) EXPECT_EQ(x[static_cast<std::size_t>(v)], static_cast<float>(v) / 255.0f) << v;
  EXPECT_NE(3.0f * static_cast<float>(1.0 / 255), 3.0f / 255.0f);
  // A float64 model gets them divided in double, as x.double() / 255 gives them.
  const auto x64 = read_idx_images(file, 255, DType::Float64).x;
  for (int v = 0; v < 256; ++v) EXPECT_EQ(x64[static_cast<std::size_t>(v)], v / 255.0) << v;
}

TEST_F(InputFileTest, AnIdxLabelFileOfNoLabelsIsRefused) {
  const fs::path images = dir_ / "images.idx", labels = dir_ / "labels.idx";
  std::ofstream(images, std::ios::binary) << std::string{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5};
  std::ofstream(labels, std::ios::binary) << std::string{0, 0, 8, 1, 0, 0, 0, 0};
  EXPECT_EQ(error_of([&] { read_idx(images, labels, 1.0); }), fmt::format("{}: header announces 0 labels: there is nothing to read", labels.string()));
  std::ofstream(labels, std::ios::binary) << std::string{0, 0, 8, 1, 0, 0, 0, 2, 1, 0};
  EXPECT_EQ(error_of([&] { read_idx(images, labels, 1.0); }), fmt::format("{} has 1 images but {} has 2 labels", images.string(), labels.string()));
}

TEST_F(InputFileTest, BytesAfterAGzipStreamAreAnErrorAndFurtherMembersAreRead) {
  const std::string header{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2}, pixels{7, 9};
  const fs::path file = dir_ / "images.idx.gz";
  write_gzip_members(file, {header, pixels});  // a valid gzip file of two members
  EXPECT_EQ(read_idx_images(file, 1.0).x, (std::vector<float>{7, 9}));
  write_gzip_members(file, {header + pixels});
  std::ofstream(file, std::ios::binary | std::ios::app) << "garbage";
  EXPECT_EQ(error_of([&] { read_idx_images(file, 1.0); }), fmt::format("{}: 7 bytes follow the end of the gzip stream; the file is damaged", file.string()));
}

TEST_F(InputFileTest, ACsvFileCompressedByGzipIsReadAsItsText) {
  // As pandas reads data.csv.gz, and as scikit-learn ships its digits: the reader looks at the bytes, not the name.
  const fs::path file = dir_ / "data.csv";
  write_gzip_members(file, {"a,b,label\n1.5,2,0\n", "-3,4,1\n"});
  const Dataset d = read_csv(file);
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.0f, -3.0f, 4.0f}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1}));
  // Errors name the file and line as for plain text; a damaged stream is named as such.
  write_gzip_members(file, {"a,b,label\n1,2,0\n1,x,0\n"});
  EXPECT_EQ(error_of([&] { read_csv(file); }), fmt::format("{}:3: column 2 ('x') is not a number; a column of categories (words or codes) is "
                                                           "one-hot encoded where the data section lists it in \"categorical\"",
                                                           file.string()));
  // Read twice where its columns of words are found ("categorical": "auto"), from the decompressed text.
  CsvLayout words;
  words.categorical_words = true;
  EXPECT_EQ(read_csv(file, words).x, (std::vector<float>{1, 1, 0, 1, 0, 1}));  // b: 2 or x
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  in.close();
  std::ofstream(file, std::ios::binary) << bytes.substr(0, bytes.size() - 6);
  EXPECT_EQ(error_of([&] { read_csv(file); }), fmt::format("{}: truncated gzip stream", file.string()));
}

}  // namespace
}  // namespace nnplug::test
