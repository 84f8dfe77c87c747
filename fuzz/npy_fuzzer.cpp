// Fuzz target: the .npy reader (gzip included) and .npz archives on arbitrary bytes. Bytes that start as a zip file
// does are opened as an archive and each of its arrays read; others are an array, read as inputs and, where the
// first byte is odd, as their targets too. Any input must either be read or throw IoError; a crash, a sanitizer
// report, a hang or a huge allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/npz_archive.hpp"

namespace {

void read_array(const std::vector<unsigned char>& bytes, bool with_targets) {
  nnplug::Dataset d = nnplug::parse_npy_inputs(bytes, "fuzz.npy", 255.0);
  if (d.x.size() != static_cast<std::size_t>(d.size() * d.features())) __builtin_trap();
  if (!with_targets) return;
  nnplug::parse_npy_targets(bytes, "fuzz.npy", d);
  if (d.has_value_targets() && d.targets.size() != static_cast<std::size_t>(d.size() * d.target_width)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  try {
    // What a gzip bomb may inflate to here is kept below the fuzzer's memory limit.
    auto bytes = nnplug::gunzip_if_compressed(std::vector<unsigned char>(data + 1, data + size), "fuzz.npy", 64 << 20);
    if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K') {
      const nnplug::NpzArchive archive(std::move(bytes), "fuzz.npz");
      for (const auto& name : archive.arrays()) {
        try {
          read_array(archive.array(name), data[0] % 2 == 1);
        } catch (const nnplug::IoError&) {
        }
      }
    } else {
      read_array(bytes, data[0] % 2 == 1);
    }
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
