// Fuzz target: the IDX reader (gzip included) on arbitrary bytes. The first byte picks the file the rest is read
// as (even: an image file, odd: a label file). Any input must either be read or throw IoError; a crash, a sanitizer
// report, a hang or a huge allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  try {
    // What a gzip bomb may inflate to here is kept below the fuzzer's memory limit.
    const auto bytes = nnplug::gunzip_if_compressed(std::vector<unsigned char>(data + 1, data + size), "fuzz.idx", 64 << 20);
    if (data[0] % 2 == 0) {
      const nnplug::Dataset d = nnplug::parse_idx_images(bytes, "fuzz.idx", 255.0);
      if (d.x.size() != static_cast<std::size_t>(d.size() * d.features())) __builtin_trap();
    } else {
      (void)nnplug::parse_idx_labels(bytes, "fuzz.idx");
    }
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
