// The safetensors reader on hostile files: tensors that overlap, leave a gap, leave bytes after them, or whose
// shape multiplies past 64 bits (it could wrap round to a size that fits the file).
#include <gtest/gtest.h>

#include "nnplug/framework/safetensors.hpp"

namespace nnplug::test {
namespace {

// A file of this header and `data` zero bytes.
std::string file_of(const std::string& header, std::size_t data) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + std::string(data, '\0');
}

std::string error_of(const std::string& header, std::size_t data) {
  try {
    parse_safetensors(file_of(header, data), "m.safetensors");
  } catch (const IoError& e) {
    return e.what();
  }
  return "(read)";
}

TEST(SafetensorsReader, TensorsMustTileTheDataRegion) {
  const std::string a = R"("a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  EXPECT_EQ(error_of("{" + a + R"(, "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})", 8),
            "m.safetensors: tensor 'b' starts at byte 2, inside tensor 'a' (which ends at 4)");
  EXPECT_EQ(error_of("{" + a + R"(, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})", 12),
            "m.safetensors: 4 bytes at 4 belong to no tensor");
  EXPECT_EQ(error_of("{" + a + "}", 8), "m.safetensors: 4 bytes after the last tensor belong to no tensor");
  EXPECT_EQ(parse_safetensors(file_of("{" + a + "}", 4), "m.safetensors").tensors.size(), 1u);
}

TEST(SafetensorsReader, AShapeWhoseBytesOverflowIsRefused) {
  // 2^32 x 2^32 x 4 bytes wraps round to 0: an empty tensor at [0, 0) without the check.
  EXPECT_EQ(error_of(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", 0),
            "m.safetensors: tensor 'a': its shape [4294967296,4294967296] holds more bytes than 64 bits can count");
}

}  // namespace
}  // namespace nnplug::test
