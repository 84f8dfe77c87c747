// Fuzz target: the CSV reader on arbitrary text. The first byte picks the label column (last, first, second, or
// the header's column named "label"), whether rows without labels are expected (inputs to predict), whether
// labels may be class names ("a", "b") and whether value target columns replace the label (the last; or the one
// named "label" and the first), and the delimiter (a comma, a semicolon, a tab or runs of blanks). The input's
// length picks whether a model's columns are known by name (features "a" and "b", the label "label"; of a length
// that 3 divides) and its classes ("x" and "y"; a length that 5 divides), as predict reads inputs for it; whether the
// first column and the one named "b" are categorical (a length that 7 divides), or the model's first feature holds
// the categories "p" and "q" (an even length that 3 divides); whether missing values are read as NaN (a length that 4
// divides); whether the second column is dropped (9 divides) and the one named "a" names the samples (11 divides);
// whether a comma marks decimals, where it does not separate fields (13 divides); and whether a value none of the
// trained categories is read as a row of zeros (17 divides); and whether the columns of words are found and made
// categorical (19 divides).
// Any input must either be read into a consistent data set or throw IoError; anything else is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  nnplug::CsvLayout label = data[0] % 4 == 3 ? nnplug::CsvLayout(std::string("label")) : nnplug::CsvLayout(data[0] % 4 - 1);
  if (data[0] & 0x80) label.class_names = {"a", "b"};
  if (data[0] & 0x40) label.target_columns = {std::int64_t{-1}};
  if ((data[0] & 0xc0) == 0xc0) label.target_columns = {std::string("label"), std::int64_t{0}};
  if (size % 3 == 0) label.trained = {{"a", "b"}, "label", {}};
  if (size % 5 == 0) label.trained.classes = {"x", "y"};
  if (size % 7 == 0) label.categorical_columns = {std::int64_t{0}, std::string("b")};
  if (size % 6 == 0) label.trained.categories = {{"p", "q"}, {}};
  label.missing_as_nan = size % 4 == 0;
  label.ignore_unknown_categories = size % 17 == 0;
  label.categorical_words = size % 19 == 0;
  if (size % 9 == 0) label.drop_columns = {std::int64_t{1}};
  if (size % 11 == 0) label.id_column = std::string("a");
  const std::int64_t features = (data[0] / 4) % 4;
  label.delimiter = ",;\t "[(data[0] >> 4) % 4];  // ' ': CsvLayout::kWhitespace
  if (size % 13 == 0 && label.delimiter != ',') label.decimal = ',';
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    const nnplug::Dataset d = nnplug::parse_csv(in, "fuzz.csv", label, features);
    if (d.size() == 0 || d.features() < 1 || d.x.size() != static_cast<std::size_t>(d.size() * d.features())) __builtin_trap();
    if (!d.column_names.categories.empty() && d.features() != d.column_names.width()) __builtin_trap();
    if (!d.sample_names.empty() && d.sample_names.size() != static_cast<std::size_t>(d.size())) __builtin_trap();
    for (const double v : d.x.doubles())
      if (!std::isfinite(v) && !(label.missing_as_nan && std::isnan(v))) __builtin_trap();
    for (const auto label : d.labels)
      if (label < -1 || label >= d.num_classes || (d.has_value_targets() && label != -1)) __builtin_trap();
    if (d.targets.size() != static_cast<std::size_t>(d.size() * d.target_width)) __builtin_trap();
    for (const float t : d.targets)
      if (!std::isfinite(t)) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
