#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

namespace {
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ',');) {
    const auto b = f.find_first_not_of(" \t\r"), e = f.find_last_not_of(" \t\r");
    fields.push_back(b == std::string::npos ? "" : f.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// A header field as named, without the double quotes a spreadsheet or pandas may put around it.
std::string unquoted(const std::string& field) {
  return field.size() >= 2 && field.front() == '"' && field.back() == '"' ? field.substr(1, field.size() - 2) : field;
}

bool parse_number(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && !s.empty();
}
}  // namespace

Dataset read_csv(const std::filesystem::path& path, const CsvLabelColumn& label, std::int64_t features, DType dtype) {
  require_regular_file(path, "the CSV file");
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: the CSV file cannot be opened", path.string()));
  return parse_csv(in, path.string(), label, features, dtype);
}

Dataset parse_csv(std::istream& in, const std::string& name, const CsvLabelColumn& label, std::int64_t features, DType dtype) {
  Dataset d;
  d.x = SampleValues(dtype, 0);
  const bool float32 = dtype == DType::Float32;
  std::size_t columns = 0, line_no = 0, label_at = 0;
  bool unlabelled = false;
  std::int32_t max_label = -1;
  std::unordered_map<std::string, std::size_t> class_index;  // a label by name, in one lookup however many classes
  for (std::size_t i = 0; i < label.class_names.size(); ++i) class_index.emplace(label.class_names[i], i);
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // Excel's and pandas' utf-8-sig byte order mark
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto fields = split_fields(line);
    const auto field = [&](std::size_t c) { return Params::shortened(fields[c]); };
    if (columns == 0) {
      columns = fields.size();
      unlabelled = features > 0 && static_cast<std::int64_t>(columns) == features;
      if (columns < 2 && !unlabelled) {
        const char* other = line.find(';') != std::string::npos ? "';'" : line.find('\t') != std::string::npos ? "tabs" : nullptr;
        throw IoError(fmt::format("{}:{}: needs at least one feature and a label{}", name, line_no,
                                  other ? fmt::format(" (the line is one field: separated by {}? nnplug reads commas)", other) : ""));
      }
      double probe;
      const bool header = !parse_number(fields[0], probe);
      std::int64_t at = label.index < 0 ? static_cast<std::int64_t>(columns) + label.index : label.index;
      if (!label.name.empty()) {
        const auto named = std::find_if(fields.begin(), fields.end(), [&](const std::string& f) { return header && unquoted(f) == label.name; });
        unlabelled = unlabelled && named == fields.end();
        if (named == fields.end() && !unlabelled)
          throw IoError(header ? fmt::format("{}:{}: no column is named '{}' (the header names {})", name, line_no, Params::shortened(label.name),
                                             Params::shortened(fmt::format("{}", fmt::join(fields, ", "))))
                               : fmt::format("{}:{}: the label column is named '{}', but the first row is data, not a header", name, line_no,
                                             Params::shortened(label.name)));
        at = named - fields.begin();
      } else if (at < 0 || at >= static_cast<std::int64_t>(columns)) {
        throw IoError(fmt::format("{}: label column {} does not exist in {} columns", name, label.index, columns));
      }
      label_at = unlabelled ? columns : static_cast<std::size_t>(at);
      if (header) continue;
    }
    if (fields.size() != columns)
      throw IoError(fmt::format("{}:{}: {} fields, the first row has {}", name, line_no, fields.size(), columns));
    for (std::size_t c = 0; c < columns; ++c) {
      double v;
      if (c == label_at && !label.class_names.empty() && !parse_number(fields[c], v)) {
        const auto named = class_index.find(unquoted(fields[c]));
        if (named == class_index.end())
          throw IoError(fmt::format("{}:{}: label '{}' is none of the class_names ({})", name, line_no, field(c),
                                    Params::shortened(fmt::format("{}", fmt::join(label.class_names, ", ")))));
        v = static_cast<double>(named->second);
      } else if (fields[c].empty()) {
        throw IoError(fmt::format("{}:{}: column {} is empty: a missing value, which nnplug does not fill; fill or drop it first", name,
                                  line_no, c + 1));
      } else if (!parse_number(fields[c], v)) {
        throw IoError(fmt::format("{}:{}: column {} ('{}') is not a number{}", name, line_no, c + 1, field(c),
                                  c == label_at ? " (labels by name need the data section's class_names)" : ""));
      }
      if (c != label_at) {
        // NaN, infinities and values past the dtype's range would only show up later, as a NaN loss.
        if (!std::isfinite(float32 ? static_cast<double>(static_cast<float>(v)) : v))
          throw IoError(fmt::format("{}:{}: column {} ('{}') is not a finite {} value", name, line_no, c + 1, field(c), dtype_name(dtype)));
        d.x.push_back(v);
        continue;
      }
      if (v < 0 || v != std::floor(v) || v > 1e9)
        throw IoError(fmt::format("{}:{}: label '{}' is not a class index (a non-negative integer)", name, line_no, field(c)));
      d.labels.push_back(static_cast<std::int32_t>(v));
      max_label = std::max(max_label, d.labels.back());
    }
    if (unlabelled) d.labels.push_back(-1);
  }
  if (in.bad()) throw IoError(fmt::format("{}:{}: the CSV file cannot be read further", name, line_no));
  if (d.labels.empty()) throw IoError(fmt::format("{}: no data rows", name));
  d.sample_shape = Shape{static_cast<std::int64_t>(unlabelled ? columns : columns - 1)};
  d.num_classes = max_label + 1;
  return d;
}

}  // namespace nnplug
