// Fuzz target: the CSV reader on arbitrary text. The first byte picks the label column (last, first, second, or
// the header's column named "label"), whether rows without labels are expected (inputs to predict) and whether
// labels may be class names ("a", "b"). Any input
// must either be read into a consistent data set or throw IoError; anything else is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  nnplug::CsvLabelColumn label = data[0] % 4 == 3 ? nnplug::CsvLabelColumn(std::string("label")) : nnplug::CsvLabelColumn(data[0] % 4 - 1);
  if (data[0] & 0x80) label.class_names = {"a", "b"};
  const std::int64_t features = (data[0] / 4) % 4;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    const nnplug::Dataset d = nnplug::parse_csv(in, "fuzz.csv", label, features);
    if (d.size() == 0 || d.features() < 1 || d.x.size() != static_cast<std::size_t>(d.size() * d.features())) __builtin_trap();
    for (const double v : d.x.doubles())
      if (!std::isfinite(v)) __builtin_trap();
    for (const auto label : d.labels)
      if (label < -1 || label >= d.num_classes) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
