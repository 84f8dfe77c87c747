#include "nnplug/framework/dataset.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

std::int64_t ColumnNames::width() const {
  if (categories.empty()) return static_cast<std::int64_t>(features.size());
  std::int64_t values = 0;
  for (const auto& column : categories) values += std::max<std::int64_t>(static_cast<std::int64_t>(column.size()), 1);
  return values;
}

std::string ColumnNames::feature_name(std::size_t f) const {
  return f < features.size() ? features[f] : fmt::format("feature column {}", f + 1);
}

Dataset Dataset::subset(const std::vector<std::int64_t>& indices) const {
  Dataset out;
  out.sample_shape = sample_shape;
  out.num_classes = num_classes;
  out.target_width = target_width;
  out.target_shape = target_shape;
  out.target_source = target_source;
  out.column_names = column_names;
  out.sample_names_column = sample_names_column;
  out.x = x.select_rows(indices, static_cast<std::size_t>(features()));
  out.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) out.labels[i] = labels[static_cast<std::size_t>(indices[i])];
  const auto width = static_cast<std::size_t>(target_width);
  out.targets.reserve(indices.size() * width);
  for (const std::int64_t i : indices) {
    const auto row = targets.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * width);
    out.targets.insert(out.targets.end(), row, row + static_cast<std::ptrdiff_t>(width));
  }
  if (!sample_names.empty())
    for (const std::int64_t i : indices) out.sample_names.push_back(sample_names[static_cast<std::size_t>(i)]);
  out.rows.reserve(indices.size());
  for (const std::int64_t i : indices) out.rows.push_back(row(i));
  return out;
}

std::int32_t most_probable_class(const float* probabilities, std::int64_t classes) {
  return static_cast<std::int32_t>(std::max_element(probabilities, probabilities + classes) - probabilities);
}

std::vector<std::int32_t> most_probable_classes(const Dataset& data) {
  std::vector<std::int32_t> classes(static_cast<std::size_t>(data.size()));
  for (std::size_t i = 0; i < classes.size(); ++i)
    classes[i] = most_probable_class(data.targets.data() + i * static_cast<std::size_t>(data.target_width), data.target_width);
  return classes;
}

Dataset Dataset::head(std::int64_t n) const {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(n, size())));
  std::iota(idx.begin(), idx.end(), 0);
  return subset(idx);
}

void Dataset::convert(DType dtype) {
  if (x.dtype() != dtype) x = x.as(dtype);
}

void Dataset::keep_target_shape(std::span<const std::int64_t> shape, const std::string& source) {
  if (shape.size() < 3) return;
  if (shape.size() - 1 > static_cast<std::size_t>(Shape::kMaxRank))
    throw ShapeError(fmt::format("{}: the targets have {} axes per sample, more than a model's output has (at most {})", source, shape.size() - 1,
                                 Shape::kMaxRank));
  target_shape = Shape(std::vector<std::int64_t>(shape.begin() + 1, shape.end()));
  target_source = source;
}

namespace {

// `rows` shuffled by the seed, the last `fraction` of them split off.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> split_rows(std::vector<std::int64_t> rows, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    throw InvalidArgument(fmt::format("validation split must be in [0, 1), got {}", fraction));
  Random random(seed);
  for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[random.below(i)]);
  const auto second = static_cast<std::ptrdiff_t>(static_cast<double>(rows.size()) * fraction + 0.5);
  std::vector<std::int64_t> b(rows.end() - second, rows.end());
  rows.resize(rows.size() - static_cast<std::size_t>(second));
  return {std::move(rows), std::move(b)};
}

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

}  // namespace

std::pair<Dataset, Dataset> split(const Dataset& data, double fraction, std::uint64_t seed) {
  const auto [a, b] = split_rows(all_rows(data.size()), fraction, seed);
  return {data.subset(a), data.subset(b)};
}

SplitRows split_three_rows(std::int64_t n, double validation_fraction, double test_fraction, std::uint64_t seed) {
  if (!(validation_fraction >= 0 && test_fraction >= 0 && validation_fraction + test_fraction < 1))
    throw InvalidArgument(fmt::format("validation and test fractions must be >= 0 and leave some training data, got {} and {}",
                                      validation_fraction, test_fraction));
  if (test_fraction == 0) {  // the plain two-way split, so that adding the test fraction changed no existing run
    auto [train, validation] = split_rows(all_rows(n), validation_fraction, seed);
    return {std::move(train), std::move(validation), {}};
  }
  auto [rest, test] = split_rows(all_rows(n), test_fraction, seed);
  auto [train, validation] = split_rows(std::move(rest), validation_fraction / (1.0 - test_fraction), seed + 1);
  return {std::move(train), std::move(validation), std::move(test)};
}

Splits split_three(const Dataset& data, double validation_fraction, double test_fraction, std::uint64_t seed) {
  const SplitRows rows = split_three_rows(data.size(), validation_fraction, test_fraction, seed);
  return {data.subset(rows.train), data.subset(rows.validation), data.subset(rows.test)};
}

}  // namespace nnplug
