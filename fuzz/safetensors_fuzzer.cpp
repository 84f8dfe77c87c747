// Fuzz target: the safetensors reader on arbitrary bytes. Any input must either parse or throw IoError; a crash,
// a sanitizer report, a hang or a huge allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nnplug/errors.hpp"
#include "nnplug/framework/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = nnplug::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    for (const auto& t : file.tensors) (void)t.shape.numel();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
