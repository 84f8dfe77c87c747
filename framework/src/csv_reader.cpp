#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <fstream>
#include <optional>
#include <streambuf>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/csv_records.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

namespace {
constexpr const char* kBlanks = " \t\r";
// A quoted field may hold line breaks; a record open for longer than this is a quote that never closes.
constexpr std::size_t kMaxQuotedRecord = std::size_t{1} << 20;

// A number as pandas reads it, with `decimal` as its decimal mark (pandas' decimal=",": 1,5 for 1.5).
bool parse_number(const std::string& s, double& out, char decimal = '.') {
  if (decimal != '.' && s.find(decimal) != std::string::npos) {
    std::string pointed = s;
    std::ranges::replace(pointed, decimal, '.');
    return parse_number(pointed, out);
  }
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && !s.empty();
}

// The words pandas' read_csv takes for a missing value (its default na_values), besides an empty field.
bool missing_marker(const std::string& field) {
  static constexpr std::string_view kMarkers[] = {"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
                                                  "N/A",  "NA",       "NULL", "NaN",     "None",     "n/a",  "nan",  "null"};
  return std::ranges::find(kMarkers, field) != std::end(kMarkers);
}

// Bytes already in memory, read as a stream where they are.
struct BytesStreamBuf : std::streambuf {
  explicit BytesStreamBuf(std::vector<unsigned char>& bytes) {
    char* begin = reinterpret_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }
  // Where the reader is, and back to a place it was (a second reading of the file: CsvLayout::categorical_words).
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    const off_type from = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? gptr() - eback() : egptr() - eback();
    if (from + off < 0 || from + off > egptr() - eback()) return pos_type(off_type(-1));
    setg(eback(), eback() + from + off, egptr());
    return pos_type(from + off);
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode which) override { return seekoff(off_type(pos), std::ios_base::beg, which); }
};

using TargetColumns = std::vector<ColumnRef>;

// Whether the header of inputs to predict holds no label or target column: none of the names they have (the label's
// is label_name), or, where targets are given by place, nothing but the model's features.
bool names_no_label(const std::vector<std::string>& header, const CsvLayout& layout, const TargetColumns& target_columns,
                    const std::string& label_name) {
  const auto in_header = [&](const std::string& column) { return std::ranges::any_of(header, [&](const auto& f) { return f == column; }); };
  std::vector<std::string> named;
  for (const auto& column : target_columns)
    if (const auto* name = std::get_if<std::string>(&column)) named.push_back(*name);
  if (!label_name.empty()) named.push_back(label_name);
  if (!named.empty() && named.size() == target_columns.size() + !label_name.empty()) return std::ranges::none_of(named, in_header);
  const auto& features = layout.trained.features;
  const auto dropped = [&](const std::string& f) { return std::ranges::find(layout.drop_columns, ColumnRef(f)) != layout.drop_columns.end(); };
  return std::ranges::all_of(header, [&](const auto& f) { return std::ranges::find(features, f) != features.end() || dropped(f); });
}

// Inputs to predict whose header names the model's features: each column's place among the features, found by its
// name (or `none` for the label's and the targets' columns, marked in `outside`), so that columns in another order
// than the training file's are read as the model was trained, as pandas selects columns by name.
std::vector<std::size_t> named_feature_slots(const std::vector<std::string>& header, const std::vector<bool>& outside,
                                             const std::vector<std::string>& feature_names, std::size_t none, const std::string& where) {
  std::vector<std::size_t> slots(header.size(), none);
  std::vector<bool> found(feature_names.size());
  const auto listed = [&] { return Params::shortened(fmt::format("{}", fmt::join(feature_names, ", "))); };
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (outside[c]) continue;
    const auto at = std::find(feature_names.begin(), feature_names.end(), header[c]);
    if (at == feature_names.end())
      throw IoError(fmt::format("{}: column '{}' is none of the features the model was trained on ({})", where, Params::shortened(header[c]), listed()));
    const auto slot = static_cast<std::size_t>(at - feature_names.begin());
    if (found[slot]) throw IoError(fmt::format("{}: two columns are named '{}'", where, Params::shortened(feature_names[slot])));
    found[slot] = true, slots[c] = slot;
  }
  for (std::size_t f = 0; f < feature_names.size(); ++f)
    if (!found[f])
      throw IoError(fmt::format("{}: no column is named '{}', a feature the model was trained on ({}); the header names {}", where,
                                Params::shortened(feature_names[f]), listed(), Params::shortened(fmt::format("{}", fmt::join(header, ", ")))));
  return slots;
}

// Labels read as names that no list gave: the classes are their distinct names in sorted order (scikit-learn's
// LabelEncoder), and each label, numbered in the order its name was first seen, is renumbered so.
void number_classes_by_sorted_name(Dataset& d, const std::unordered_map<std::string, std::size_t>& first_seen) {
  std::vector<std::string> sorted;
  for (const auto& [name, seen] : first_seen) sorted.push_back(name);
  std::ranges::sort(sorted);
  std::vector<std::int32_t> renumbered(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) renumbered[first_seen.at(sorted[i])] = static_cast<std::int32_t>(i);
  for (std::int32_t& label : d.labels) label = renumbered[static_cast<std::size_t>(label)];
  d.column_names.classes = std::move(sorted);
  d.num_classes = static_cast<std::int64_t>(d.column_names.classes.size());
}

// Whether a first line whose first field is not a number is data all the same, as a file without a header whose
// first column holds categories starts: for a model that keeps categories, where it names none of the model's
// columns; else where its only fields that are not numbers stand in columns that the layout makes categorical or
// drops by index, or in the label's column by index (labels by name).
bool categories_not_header(const std::vector<std::string>& fields, const CsvLayout& layout) {
  const ColumnNames& trained = layout.trained;
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) { return std::ranges::find(names, name) != names.end(); };
  if (!trained.categories.empty())
    return std::ranges::none_of(fields, [&](const std::string& field) {
      return !field.empty() && (field == trained.label || listed(trained.features, field) || listed(trained.targets, field));
    });
  if (layout.categorical_columns.empty()) return false;
  const auto size = static_cast<std::int64_t>(fields.size());
  std::vector<bool> words_allowed(fields.size());
  const auto allow = [&](std::int64_t index) {
    if (const std::int64_t at = index < 0 ? size + index : index; at >= 0 && at < size) words_allowed[static_cast<std::size_t>(at)] = true;
  };
  for (const auto& column : layout.categorical_columns) {
    const auto* index = std::get_if<std::int64_t>(&column);
    if (!index) return false;  // a column by name: the file has a header
    allow(*index);
  }
  for (const auto& column : layout.drop_columns)
    if (const auto* index = std::get_if<std::int64_t>(&column)) allow(*index);
  if (layout.label_name.empty() && layout.target_columns.empty()) allow(layout.label_index);
  double v = 0;
  for (std::size_t c = 0; c < fields.size(); ++c)
    if (!words_allowed[c] && !parse_number(fields[c], v, layout.decimal)) return false;
  return true;
}

// A feature column of categories (CsvLayout::categorical_columns): each category's number, in the order the model
// was trained on, or while they are fitted, in the order first seen.
struct CategoryColumn {
  bool categorical = false;
  std::unordered_map<std::string, std::size_t> number;
};

// More categories than this in one column are an identifier or free text, whose one-hot columns would hold a row each.
constexpr std::size_t kMaxCategories = 10000;

// Each categorical column's numbers in `d` (a value per feature column) as one-hot columns in its place, a missing
// value's all 0. Categories
// fitted here are sorted first, by value where each is a number (as scikit-learn's OneHotEncoder orders them), and
// kept in d.column_names.categories.
void one_hot_encode(Dataset& d, const std::vector<CategoryColumn>& columns, bool fitted) {
  std::vector<std::vector<std::string>> names(columns.size());
  std::vector<std::vector<std::size_t>> place(columns.size());  // per column, each category's number: its one-hot column
  std::int64_t width = 0;
  for (std::size_t f = 0; f < columns.size(); ++f) {
    width += columns[f].categorical ? static_cast<std::int64_t>(columns[f].number.size()) : 1;
    if (!columns[f].categorical) continue;
    names[f].resize(columns[f].number.size());
    for (const auto& [name, number] : columns[f].number) names[f][number] = name;
    double a = 0, b = 0;
    const bool numbers = std::ranges::all_of(names[f], [&](const std::string& name) { return parse_number(name, a); });
    const auto by_value = [&](const std::string& x, const std::string& y) { return parse_number(x, a) && parse_number(y, b) && a < b; };
    if (fitted && numbers) std::ranges::sort(names[f], by_value);
    else if (fitted) std::ranges::sort(names[f]);
    place[f].resize(names[f].size());
    for (std::size_t k = 0; k < names[f].size(); ++k) place[f][columns[f].number.at(names[f][k])] = k;
  }
  const std::vector<double> values = d.x.doubles();
  SampleValues encoded(d.x.dtype(), 0);
  for (std::size_t at = 0; at < values.size();)
    for (std::size_t f = 0; f < columns.size(); ++f, ++at) {
      if (!columns[f].categorical) {
        encoded.push_back(values[at]);
        continue;
      }
      // A missing value (NaN, where the layout reads them so) is none of the categories.
      const std::size_t hot = std::isnan(values[at]) ? names[f].size() : place[f][static_cast<std::size_t>(values[at])];
      for (std::size_t k = 0; k < names[f].size(); ++k) encoded.push_back(k == hot ? 1.0 : 0.0);
    }
  d.x = std::move(encoded);
  d.sample_shape = Shape{width};
  d.column_names.categories = std::move(names);
}

}  // namespace

Dataset read_csv(const std::filesystem::path& path, const CsvLayout& layout, std::int64_t features, DType dtype) {
  require_regular_file(path, "the CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: the CSV file cannot be opened", path.string()));
  // A gzip-compressed file (data.csv.gz, which pandas reads as it is) is decompressed whole, then read in memory.
  char magic[2] = {};
  if (in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b') {
    in.close();
    std::vector<unsigned char> bytes = read_input_bytes(path, "the CSV file");
    BytesStreamBuf buffer(bytes);
    std::istream text(&buffer);
    return parse_csv(text, path.string(), layout, features, dtype);
  }
  in.clear();
  in.seekg(0);
  return parse_csv(in, path.string(), layout, features, dtype);
}

namespace {

// What a first reading of a file finds for CsvLayout::categorical_words: the feature columns that hold words, and
// whether it let a missing value pass that a second reading must judge (a category, or refused).
struct WordColumns {
  std::vector<std::size_t> columns;
  bool passed_missing = false;
};

// parse_csv; with `words`, a first reading that finds the columns of words rather than refusing them.
Dataset parse_records(std::istream& in, const std::string& name, const CsvLayout& layout, std::int64_t features, DType dtype, WordColumns* words) {
  Dataset d;
  d.x = SampleValues(dtype, 0);
  const bool float32 = dtype == DType::Float32;
  const std::size_t targets = layout.target_columns.size();
  std::size_t columns = 0, line_no = 0, label_at = 0;
  std::vector<std::size_t> target_slot;  // per column: its place among the targets, or `targets` for another column
  std::vector<float> row_targets(targets);
  std::vector<std::size_t> feature_slot;  // per column: its place among the features, or `columns` for another column
  std::vector<double> row_features;
  bool unlabelled = false, value_targets = false;  // value_targets: the rows hold the target columns
  std::size_t outside_features = 0;                 // the label's column, or the target columns, and those dropped
  std::vector<bool> dropped;                        // per column: one of layout.drop_columns, or the id column: not read
  std::size_t id_at = std::numeric_limits<std::size_t>::max();  // the id column, where there is one
  // pandas' to_csv() writes the frame's index first, under an empty name (or "Unnamed: 0" once read and written
  // again): a feature that would only count the rows. Followed while every row's first value is its number.
  bool row_numbers = false;
  std::int64_t data_rows = 0;
  std::int32_t max_label = -1;
  // Labels by name: through the spec's class_names, else the classes the model was trained on, else (labels_by_name,
  // from the first label that is not a number) numbered as first seen and sorted at the end.
  const std::vector<std::string>& class_names = !layout.class_names.empty() ? layout.class_names : layout.trained.classes;
  std::unordered_map<std::string, std::size_t> class_index;  // a label by name, in one lookup however many classes
  for (std::size_t i = 0; i < class_names.size(); ++i) class_index.emplace(class_names[i], i);
  // Class names that are numbers ("1", "2", "3": labels counted from 1) name their classes; a number among such
  // labels that they do not list is none of them, not a class index.
  const bool numbered_names = std::ranges::any_of(class_names, [](const std::string& n) {
    double v;
    return parse_number(n, v);
  });
  bool labels_by_name = false;
  std::vector<CategoryColumn> category;  // per feature slot
  std::vector<std::string> header_names;  // the header's fields, where the file has one
  const bool fitting_categories = layout.trained.categories.empty();
  // Inputs to predict by place: a model's categorical columns take one value each in the file.
  const std::int64_t feature_columns = fitting_categories ? features : static_cast<std::int64_t>(layout.trained.categories.size());
  const auto categorical = [&](std::size_t c) { return feature_slot[c] < category.size() && category[feature_slot[c]].categorical; };
  const auto feature = [&](std::size_t c) { return c != label_at && target_slot[c] == targets; };
  // What to do about a missing value: a feature's the data section can fill.
  const auto fill_hint = [&](std::size_t c) {
    return feature(c) ? "fills where the data section names fill_missing (\"mean\", \"median\", \"most_frequent\" or a number); or fill or drop it "
                        "first"
                      : "does not fill in a label or a target; fill or drop it first";
  };
  CsvRecordSplitter records(layout.delimiter);
  std::size_t lines = 0, record_bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (!records.open()) {  // a record starts: its first line names it in messages
      line_no = ++lines;
      if (line_no == 1 && (line.starts_with("\xFF\xFE") || line.starts_with("\xFE\xFF")))
        throw IoError(fmt::format("{}: the file is UTF-16 text (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\", or convert it: "
                                  "iconv -f UTF-16 -t UTF-8", name));
      if (line_no <= static_cast<std::size_t>(layout.skip_rows)) continue;
      if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // Excel's and pandas' utf-8-sig byte order mark
      if (line.find_first_not_of(kBlanks) == std::string::npos) continue;
      record_bytes = 0;
    } else {
      ++lines;
    }
    record_bytes += line.size();
    if (!records.feed(line)) {
      if (record_bytes > kMaxQuotedRecord)
        throw IoError(fmt::format("{}:{}: a quoted field opened in this record is not closed within {} MiB", name, line_no, kMaxQuotedRecord >> 20));
      continue;
    }
    const std::vector<std::string>& fields = records.fields();
    const auto field = [&](std::size_t c) { return Params::shortened(fields[c]); };
    if (columns == 0) {
      columns = fields.size();
      double probe;
      const bool header = !parse_number(fields[0], probe, layout.decimal) && !categories_not_header(fields, layout);
      // Inputs to predict with a header, for a model that keeps its columns' names: the features and the label by name.
      const bool by_name = header && !layout.trained.features.empty();
      const std::string& label_name = by_name && !layout.trained.label.empty() ? layout.trained.label : layout.label_name;
      const TargetColumns target_columns = by_name && layout.trained.targets.size() == targets
                                               ? TargetColumns(layout.trained.targets.begin(), layout.trained.targets.end())
                                               : layout.target_columns;
      unlabelled = by_name ? names_no_label(fields, layout, target_columns, label_name)
                           : feature_columns > 0 && static_cast<std::int64_t>(columns) == feature_columns;
      const std::size_t needed = 1 + std::max<std::size_t>(targets, 1);
      if (columns < needed && !unlabelled) {
        // The separator the line seems to use instead, for the hint.
        const auto used = [&](char c) { return c != layout.delimiter && line.find(c) != std::string::npos; };
        const char* other = used(',') ? "\",\"" : used(';') ? "\";\"" : used('\t') ? "\"\\t\"" : nullptr;
        throw IoError(fmt::format("{}:{}: needs at least one feature and {}{}", name, line_no,
                                  targets ? fmt::format("the {} target columns", targets) : "a label",
                                  other && columns == 1 ? fmt::format(" (the line is one field: separated by {}? set the data section's "
                                                                      "\"delimiter\": {})", other, other)
                                                        : ""));
      }
      // A column by its header name, or nullopt.
      const auto named = [&](const std::string& column) -> std::optional<std::size_t> {
        const auto at = std::find_if(fields.begin(), fields.end(), [&](const std::string& f) { return header && f == column; });
        if (at == fields.end()) return std::nullopt;
        return static_cast<std::size_t>(at - fields.begin());
      };
      const auto no_such_name = [&](const char* what, const std::string& column) {
        return IoError(header ? fmt::format("{}:{}: no column is named '{}' (the header names {})", name, line_no, Params::shortened(column),
                                            Params::shortened(fmt::format("{}", fmt::join(fields, ", "))))
                              : fmt::format("{}:{}: the {} column is named '{}', but the first row is data, not a header", name, line_no, what,
                                            Params::shortened(column)));
      };
      // A column by index, negative from the end.
      const auto indexed = [&](const char* what, std::int64_t index) {
        const std::int64_t at = index < 0 ? static_cast<std::int64_t>(columns) + index : index;
        if (at < 0 || at >= static_cast<std::int64_t>(columns))
          throw IoError(fmt::format("{}: {} column {} does not exist in {} columns", name, what, index, columns));
        return static_cast<std::size_t>(at);
      };
      // A column by its header name or its index.
      const auto column_of = [&](const char* what, const ColumnRef& column) {
        if (const auto* column_name = std::get_if<std::string>(&column)) {
          const auto found = named(*column_name);
          if (!found) throw no_such_name(what, *column_name);
          return *found;
        }
        return indexed(what, std::get<std::int64_t>(column));
      };
      label_at = columns;  // none
      target_slot.assign(columns, targets);
      value_targets = targets > 0 && !unlabelled;
      if (value_targets) {
        for (std::size_t t = 0; t < targets; ++t) {
          const std::size_t at = column_of("target", target_columns[t]);
          if (target_slot[at] != targets)
            throw IoError(fmt::format("{}: column {} is named twice among the targets", name, at + 1));
          target_slot[at] = t;
        }
      } else if (targets == 0 && !label_name.empty()) {
        const auto found = named(label_name);
        unlabelled = unlabelled && !found;
        if (!found && !unlabelled) throw no_such_name("label", label_name);
        if (found) label_at = *found;
      } else if (targets == 0) {
        const std::size_t at = indexed("label", layout.label_index);
        if (!unlabelled) label_at = at;
      }
      // The columns not read as features: those dropped, and the id column, whose values name the samples.
      dropped.assign(columns, false);
      const auto leave_unread = [&](const ColumnRef& column, bool is_id) -> std::optional<std::size_t> {
        // Inputs to predict, or a test file, need not hold a column that the training file's readers did not read.
        const auto* column_name = std::get_if<std::string>(&column);
        if (column_name && header && !layout.trained.empty() && !named(*column_name)) return std::nullopt;
        const std::size_t at = column_of(is_id ? "id" : "dropped", column);
        if (at == label_at || target_slot[at] != targets)
          throw IoError(fmt::format("{}: column {} is {} and cannot be {}", name, at + 1, at == label_at ? "the label" : "a target",
                                    is_id ? "the id column" : "dropped"));
        dropped[at] = true;
        return at;
      };
      for (const auto& column : layout.drop_columns) leave_unread(column, false);
      if (const auto at = layout.id_column ? leave_unread(*layout.id_column, true) : std::nullopt)
        id_at = *at, d.sample_names_column = header ? fields[*at] : "id";
      // Inputs to predict for a model of one feature may be one column, which the header may name as the label.
      const auto dropped_columns = static_cast<std::size_t>(std::ranges::count(dropped, true));
      outside_features = (label_at < columns ? 1 : value_targets ? targets : 0) + dropped_columns;
      if (columns <= outside_features)
        throw IoError(fmt::format("{}:{}: needs at least one feature beside {}", name, line_no,
                                  dropped_columns == 0 ? "the label, which is its only column"
                                  : value_targets      ? "the targets and the dropped columns"
                                  : label_at < columns ? "the label and the dropped columns"
                                                       : "the dropped columns"));
      std::vector<bool> outside(columns);
      for (std::size_t c = 0; c < columns; ++c) outside[c] = c == label_at || target_slot[c] != targets || dropped[c];
      if (by_name) {
        feature_slot = named_feature_slots(fields, outside, layout.trained.features, columns, fmt::format("{}:{}", name, line_no));
        d.column_names = layout.trained;
      } else {
        std::size_t next = 0;
        for (std::size_t c = 0; c < columns; ++c) {
          feature_slot.push_back(outside[c] ? columns : next++);
          if (header && !outside[c]) d.column_names.features.push_back(fields[c]);
        }
        if (header && label_at < columns) d.column_names.label = fields[label_at];
        if (header && value_targets) d.column_names.targets.resize(targets);
        for (std::size_t c = 0; header && c < columns; ++c)
          if (target_slot[c] != targets) d.column_names.targets[target_slot[c]] = fields[c];
        // Names that repeat cannot find their columns again: such a header's columns are known by place only.
        std::vector<std::string> sorted = d.column_names.features;
        if (!d.column_names.label.empty()) sorted.push_back(d.column_names.label);
        sorted.insert(sorted.end(), d.column_names.targets.begin(), d.column_names.targets.end());
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) d.column_names = {};
      }
      row_features.assign(columns - outside_features, 0.0);
      category.assign(row_features.size(), {});
      if (!fitting_categories && layout.trained.categories.size() != row_features.size())
        throw IoError(fmt::format("{}:{}: {} feature columns; the model was trained on {}", name, line_no, row_features.size(),
                                  layout.trained.categories.size()));
      for (std::size_t f = 0; !fitting_categories && f < category.size(); ++f) {
        category[f].categorical = !layout.trained.categories[f].empty();
        for (const auto& value : layout.trained.categories[f]) category[f].number.emplace(value, category[f].number.size());
      }
      for (std::size_t i = 0; fitting_categories && i < layout.categorical_columns.size(); ++i) {
        const std::size_t at = column_of("categorical", layout.categorical_columns[i]);
        if (outside[at])
          throw IoError(fmt::format("{}: column {} is {}, not a feature, and cannot be categorical", name, at + 1,
                                    at == label_at ? "the label (labels by name are numbered as classes)" : dropped[at] ? "dropped" : "a target"));
        if (std::exchange(category[feature_slot[at]].categorical, true))
          throw IoError(fmt::format("{}: column {} is named twice among the categorical columns", name, at + 1));
      }
      if (header) header_names = fields;
      row_numbers = header && (fields[0].empty() || fields[0].starts_with("Unnamed: "));
      if (header) continue;
    }
    if (fields.size() != columns)
      throw IoError(fmt::format("{}:{}: {} fields, the first row has {}", name, line_no, fields.size(), columns));
    if (id_at < columns) d.sample_names.push_back(fields[id_at]);
    // A categorical column's value's number: found among the categories the model was trained on (NaN, a row of
    // zeros, for one that is none of them where the layout ignores those), or while they are fitted, the next number
    // where it is new.
    const auto category_number = [&](std::size_t c) {
      auto& numbers = category[feature_slot[c]].number;
      const auto found = fitting_categories ? numbers.try_emplace(fields[c], numbers.size()).first : numbers.find(fields[c]);
      if (found == numbers.end() && layout.ignore_unknown_categories) return std::numeric_limits<double>::quiet_NaN();  // none of them
      if (found == numbers.end())
        throw IoError(fmt::format("{}:{}: '{}' in column {}{} is none of the categories the model was trained on for it ({}); the data section's "
                                  "\"handle_unknown\": \"ignore\" reads such a value as a row of zeros",
                                  name, line_no, field(c), c + 1, header_names.empty() ? "" : fmt::format(" ({})", Params::shortened(header_names[c])),
                                  Params::shortened(fmt::format("{}", fmt::join(layout.trained.categories[feature_slot[c]], ", ")))));
      if (fitting_categories && numbers.size() > kMaxCategories)
        throw IoError(fmt::format("{}:{}: column {} has more than {} categories: an identifier or free text rather than categories; drop it from "
                                  "the data section's \"categorical\"", name, line_no, c + 1, kMaxCategories));
      return static_cast<double>(found->second);
    };
    for (std::size_t c = 0; c < columns; ++c) {
      if (dropped[c]) continue;
      double v;
      if (c == label_at && class_names.empty() && !fields[c].empty() && (labels_by_name || !parse_number(fields[c], v))) {
        if (!labels_by_name && data_rows > 0)
          throw IoError(fmt::format("{}:{}: label '{}' is a name, but the labels above it are numbers; list the classes in the data section's "
                                    "class_names to read them all as names", name, line_no, field(c)));
        labels_by_name = true;
        v = static_cast<double>(class_index.try_emplace(fields[c], class_index.size()).first->second);
      } else if (c == label_at && !class_names.empty() && (numbered_names || !parse_number(fields[c], v))) {
        const auto found = class_index.find(fields[c]);
        if (found == class_index.end())
          throw IoError(fmt::format("{}:{}: label '{}' is none of {} ({})", name, line_no, field(c),
                                    layout.class_names.empty() ? "the classes the model was trained on" : "the class_names",
                                    Params::shortened(fmt::format("{}", fmt::join(class_names, ", ")))));
        v = static_cast<double>(found->second);
      } else if (const bool number = !categorical(c) && parse_number(fields[c], v, layout.decimal);
                 (!number || std::isnan(v)) && (fields[c].empty() || missing_marker(fields[c]))) {
        // A missing value (looked for only where the field is no number, or pandas' "nan"): NaN to fill, or refused;
        // without fill_missing, a categorical column's "NA" is a category.
        if ((layout.missing_as_nan || (words && !fields[c].empty())) && feature(c)) {
          if (!layout.missing_as_nan) words->passed_missing = true;
          row_features[feature_slot[c]] = std::numeric_limits<double>::quiet_NaN(), row_numbers = false;
          continue;
        }
        // A delimiter that ends every line, the header's too (spreadsheets' exports), makes an empty column without a name.
        if (fields[c].empty() && c < header_names.size() && header_names[c].empty())
          throw IoError(fmt::format("{}:{}: column {} is empty and the header gives it no name: the column a delimiter at the end of every line "
                                    "makes; the data section's \"drop_columns\": [{}] leaves it out{}",
                                    name, line_no, c + 1, c, c == label_at ? ", and \"label_column\" then names the label" : ""));
        if (fields[c].empty() || !categorical(c))
          throw IoError(fields[c].empty()
                            ? fmt::format("{}:{}: column {} is empty: a missing value, which nnplug {}", name, line_no, c + 1, fill_hint(c))
                            : fmt::format("{}:{}: column {} ('{}') is a missing value, as pandas reads it, which nnplug {}", name, line_no, c + 1,
                                          field(c), fill_hint(c)));
        v = category_number(c);
      } else if (categorical(c)) {
        v = category_number(c);
      } else if (!number && words && feature(c)) {
        if (std::ranges::find(words->columns, c) == words->columns.end()) words->columns.push_back(c);
        row_features[feature_slot[c]] = std::numeric_limits<double>::quiet_NaN(), row_numbers = false;
        continue;
      } else if (!number) {
        // A number with a decimal comma (1,5) where the delimiter is another; else a word in a training file's feature,
        // past a first line that may be a header gone wrong, may be a category.
        const bool comma_hint = layout.decimal != ',' && layout.delimiter != ',' && parse_number(fields[c], v, ',');
        const bool category_hint = feature(c) && layout.trained.empty() && (data_rows > 0 || !header_names.empty());
        throw IoError(fmt::format("{}:{}: column {} ('{}') is not a number{}", name, line_no, c + 1, field(c),
                                  comma_hint      ? "; a decimal comma? set the data section's \"decimal\": \",\""
                                  : category_hint ? "; a column of categories (words or codes) is one-hot encoded where the data section lists "
                                                    "it in \"categorical\""
                                                  : ""));
      }
      if (c == label_at) {
        if (v < 0 || v != std::floor(v) || v > 1e9)
          throw IoError(fmt::format("{}:{}: label '{}' is not a class index (a non-negative integer); to regress on the column's values, "
                                    "name it in the data section's \"targets\" in place of \"label_column\"",
                                    name, line_no, field(c)));
        d.labels.push_back(static_cast<std::int32_t>(v));
        max_label = std::max(max_label, d.labels.back());
        continue;
      }
      if (categorical(c)) {
        row_features[feature_slot[c]] = v, row_numbers = row_numbers && c != 0;
        continue;
      }
      // NaN, infinities and values past the dtype's range would only show up later, as a NaN loss. Targets are
      // held in float32.
      const bool target = target_slot[c] != targets;
      if (!std::isfinite(float32 || target ? static_cast<double>(static_cast<float>(v)) : v))
        throw IoError(fmt::format("{}:{}: column {} ('{}') is not a finite {} value", name, line_no, c + 1, field(c),
                                  target ? "float32" : dtype_name(dtype)));
      if (target) row_targets[target_slot[c]] = static_cast<float>(v);
      else row_features[feature_slot[c]] = v;
      if (c == 0) row_numbers = row_numbers && v == static_cast<double>(data_rows);
    }
    for (const double v : row_features) d.x.push_back(v);
    ++data_rows;
    if (label_at == columns) d.labels.push_back(-1);
    if (value_targets) d.targets.insert(d.targets.end(), row_targets.begin(), row_targets.end());
  }
  if (in.bad()) throw IoError(fmt::format("{}:{}: the CSV file cannot be read further", name, lines));
  if (records.open()) throw IoError(fmt::format("{}:{}: a quoted field opened in this record is not closed by the end of the file", name, line_no));
  if (d.labels.empty()) throw IoError(fmt::format("{}: no data rows", name));
  if (row_numbers && label_at != 0 && target_slot[0] == targets && !dropped[0])
    throw IoError(fmt::format("{}: the first column has no name and holds the row numbers 0, 1, 2, ...: pandas' index, which to_csv() writes "
                              "unless given index=False; it would be trained on as a feature, so drop it (to_csv(index=False), or cut -d, -f2-)",
                              name));
  d.sample_shape = Shape{static_cast<std::int64_t>(columns - outside_features)};
  d.num_classes = max_label + 1;
  if (labels_by_name) number_classes_by_sorted_name(d, class_index);
  // A categorical column missing everywhere would have no one-hot column, and a model file could not tell it from one
  // of numbers.
  for (std::size_t c = 0; c < columns; ++c)
    if (categorical(c) && category[feature_slot[c]].number.empty())
      throw IoError(fmt::format("{}: column {}{} is categorical, but every value of it is missing", name, c + 1,
                                header_names.empty() ? "" : fmt::format(" ({})", Params::shortened(header_names[c]))));
  if (std::ranges::any_of(category, &CategoryColumn::categorical)) one_hot_encode(d, category, fitting_categories);
  if (value_targets) d.target_width = static_cast<std::int64_t>(targets);
  return d;
}

}  // namespace

Dataset parse_csv(std::istream& in, const std::string& name, const CsvLayout& layout, std::int64_t features, DType dtype) {
  if (!layout.categorical_words) return parse_records(in, name, layout, features, dtype, nullptr);
  // The columns of words are known once the whole file is read: a first reading finds them (and is the data where
  // there are none), a second reads them as categories.
  const auto start = in.tellg();
  WordColumns words;
  Dataset d = parse_records(in, name, layout, features, dtype, &words);
  if (words.columns.empty() && !words.passed_missing) return d;
  in.clear();
  if (start == std::istream::pos_type(-1) || !in.seekg(start))
    throw IoError(fmt::format("{}: cannot be read a second time, as \"categorical\": \"auto\" reads it", name));
  CsvLayout categorical = layout;
  categorical.categorical_words = false;
  for (const std::size_t c : words.columns) categorical.categorical_columns.emplace_back(static_cast<std::int64_t>(c));
  return parse_records(in, name, categorical, features, dtype, nullptr);
}

}  // namespace nnplug
