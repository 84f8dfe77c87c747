#include "nnplug/framework/experiment.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/class_folders.hpp"
#include "nnplug/framework/familiar_names.hpp"
#include "nnplug/framework/graph_spec.hpp"
#include "nnplug/framework/hyperparameter_search.hpp"
#include "nnplug/framework/image_folder.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/name_list.hpp"
#include "nnplug/framework/npz_archive.hpp"
#include "nnplug/framework/precision.hpp"
#include "nnplug/framework/preprocessing.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/stratified_split.hpp"
#include "nnplug/framework/synthetic.hpp"
#include "nnplug/framework/text_folder.hpp"
#include "nnplug/framework/user_json.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug {

namespace {

// Bounds on the sizes of a synthetic set, so that no product of them overflows (what does not fit in memory is
// an "out of memory" error).
constexpr std::int64_t kMaxSamples = 1000000000;

// A CSV file's columns that data[key] names ("targets", value target columns; "categorical", feature columns of
// categories; "drop_columns", columns not read): one index or name, or a list of them.
std::vector<ColumnRef> read_columns(const Params& data, const char* key) {
  std::vector<ColumnRef> columns;
  if (!data.has(key)) return columns;
  const Params::Json& named = data.json()[key];
  const Params::Json list = named.is_array() ? named : Params::Json::array({named});
  if (list.empty()) data.fail(key, "names no column");
  for (const auto& column : list) {
    if (column.is_string()) columns.emplace_back(column.get<std::string>());
    else if (column.is_number_unsigned()) columns.emplace_back(static_cast<std::int64_t>(std::min<std::uint64_t>(column.get<std::uint64_t>(), INT64_MAX)));
    else if (column.is_number_integer()) columns.emplace_back(column.get<std::int64_t>());
    else
      data.fail(key, fmt::format("must be a column's index (negative counts from the end) or its name in the header, or a list of them, got {}",
                                 Params::shown(column)));
  }
  data.accept({key});
  return columns;
}

// A CSV file's layout as the data section gives it: label_column (the label's index, from 0 and negative from the
// end, or its name in the header row), class_names, targets, categorical, drop_columns, delimiter and skip_rows.
CsvLayout csv_layout(const Params& data) {
  CsvLayout layout;
  if (data.has("label_column")) {
    const Params::Json& column = data.json()["label_column"];
    if (column.is_string()) layout = CsvLayout(data.require_string("label_column"));
    else if (column.is_number_integer()) layout = CsvLayout(data.integer("label_column", -1));
    else
      data.fail("label_column", fmt::format("must be a column's index (negative counts from the end) or its name in the header, got {}",
                                            Params::shown(column)));
  }
  layout.class_names = read_class_names(data);
  if (data.has("targets") && data.has("label_column"))
    data.fail("targets", "cannot be given with label_column: value targets take the place of the class label column");
  layout.target_columns = read_columns(data, "targets");
  layout.categorical_words = data.json().value("categorical", Params::Json()) == "auto";  // ["auto"]: a column named so
  if (layout.categorical_words) data.accept({"categorical"});
  else layout.categorical_columns = read_columns(data, "categorical");
  layout.drop_columns = read_columns(data, "drop_columns");
  if (const auto id = read_columns(data, "id_column"); id.size() > 1) data.fail("id_column", "names one column");
  else if (!id.empty()) layout.id_column = id.front();
  layout.missing_as_nan = data.has("fill_missing");  // the preprocessing fills them
  if (data.has("categorical") && data.has("divide_by"))
    data.fail("categorical", "cannot be given with divide_by, which would divide the one-hot columns of the categories too");
  const std::string handle_unknown = data.string("handle_unknown", "error");
  if (handle_unknown != "error" && handle_unknown != "ignore")
    data.fail("handle_unknown", fmt::format("must be \"error\" or \"ignore\" (scikit-learn's OneHotEncoder's), got {}", Params::shown(handle_unknown)));
  if (data.has("handle_unknown") && !data.has("categorical"))
    data.fail("handle_unknown", "says what becomes of a category that training did not see, and the data section names no \"categorical\" columns");
  layout.ignore_unknown_categories = handle_unknown == "ignore";
  const std::string delimiter = data.string("delimiter", ",");
  if (delimiter == "whitespace") layout.delimiter = CsvLayout::kWhitespace;
  else if (delimiter.size() == 1 && delimiter != "\"" && delimiter != " " && delimiter != "\n" && delimiter != "\r") layout.delimiter = delimiter[0];
  else
    data.fail("delimiter", fmt::format("must be one character such as \",\", \";\", \"\\t\" or \"|\" (not a quote or a line break), or "
                                       "\"whitespace\" for runs of spaces and tabs; got {}",
                                       Params::shown(delimiter)));
  layout.skip_rows = data.integer("skip_rows", 0, 0, 1000000);
  const std::string decimal = data.string("decimal", ".");
  if ((decimal != "." && decimal != ",") || decimal[0] == layout.delimiter)
    data.fail("decimal", fmt::format("must be \".\" or \",\", and not the delimiter (a comma decimal needs another, such as \";\"); got {}",
                                     Params::shown(decimal)));
  layout.decimal = decimal[0];
  return layout;
}

// The layout of a file read by what the training file taught (a test file, inputs to predict): its columns by the
// training file's names, in any order, and its categories those the training file's columns hold, none found anew.
CsvLayout as_trained(CsvLayout layout, const ColumnNames& trained) {
  layout.trained = trained;
  layout.categorical_words = false;
  return layout;
}

// data.divide_by for a CSV file's features, as read_idx divides pixels (255 for bytes, 16 for scikit-learn's 8x8
// digits): in the dtype, so that float32 values are what torchvision's ToTensor makes of the same bytes.
Dataset divided(Dataset d, const Params& data) {
  const double divide_by = data.number("divide_by", 1.0, 1e-300);
  if (divide_by == 1.0) return d;
  const DType dtype = d.x.dtype();
  d.x.map_values(static_cast<std::size_t>(d.features()), false, [&](double x, std::size_t) { return divided_in(dtype, x, divide_by); });
  return d;
}

// An image folder's "color_mode" ("rgb", Keras's default, or "grayscale"), "image_size" ([height, width]: every image
// resized to it) and "divide_by".
ImageLayout image_layout(const Params& data) {
  ImageLayout layout;
  const std::string mode = data.string("color_mode", "rgb");
  if (mode != "rgb" && mode != "grayscale") data.fail("color_mode", fmt::format("must be \"rgb\" or \"grayscale\", got \"{}\"", mode));
  layout.channels = mode == "rgb" ? 3 : 1;
  if (data.has("image_size")) {
    const auto size = data.numbers("image_size", {}, 2, 1.0, 16384.0);
    if (size[0] != std::floor(size[0]) || size[1] != std::floor(size[1])) data.fail("image_size", "must hold two integers, [height, width]");
    layout.height = static_cast<std::int64_t>(size[0]), layout.width = static_cast<std::int64_t>(size[1]);
  }
  layout.divide_by = data.number("divide_by", 1.0, 1e-300);
  return layout;
}

// The samples the data section names, before any split. Files are read in the model's dtype; synthetic sets are
// drawn in double (and converted by the caller). Texts go through `text`, which is fitted first where it is empty
// (a saved model brings its own) on the texts the split leaves for training: training_rows(labels) of the samples of
// those labels.
Dataset read_source(const Spec& spec, const Params& data, const std::string& format, std::uint64_t seed, DType dtype, Dataset& test,
                    std::vector<std::string>& class_names, TextVectorization& text,
                    const std::function<std::vector<std::int64_t>(std::vector<std::int32_t>)>& training_rows) {
  if (format == "text_folder") {
    TextFolder train = read_text_folder(spec.resolve(data.require_string("path")));
    if (data.has("text") && !data.json()["text"].is_object())
      data.fail("text", fmt::format("must be an object of the texts' vectorization (as Keras's TextVectorization's arguments), got {}",
                                    Params::shown(data.json()["text"])));
    // Its own object: the data section's "standardize" is the numbers' standardization.
    const Params fields = data.child("text", Params::Json::object());
    TextSettings settings = text_settings(fields);
    fields.accept({"vocabulary"});  // a saved model's vocabulary is its own: the file need not be there any more
    if (text.empty()) {
      if (fields.has("vocabulary")) settings.vocabulary = read_vocabulary(spec.resolve(fields.require_string("vocabulary")), settings);
      // Fitted on the training texts only, as the numbers' preprocessing is, and as Keras adapts its layer.
      std::vector<std::string> training;
      for (const std::int64_t row : training_rows(train.labels))
        training.push_back(train.texts[static_cast<std::size_t>(row)]);
      text = TextVectorization::adapt(settings, training);
    }
    fields.check_unused();
    if (data.has("test_path")) test = vectorized(read_text_folder(spec.resolve(data.require_string("test_path")), train.class_names), text, dtype);
    class_names = train.class_names;
    return vectorized(std::move(train), text, dtype);
  }
  if (format == "image_folder") {
    const ImageLayout layout = image_layout(data);
    ImageFolder train = read_image_folder(spec.resolve(data.require_string("path")), layout, dtype);
    if (data.has("test_path")) test = read_image_folder(spec.resolve(data.require_string("test_path")), layout, dtype, train.class_names).data;
    class_names = std::move(train.class_names);
    return std::move(train.data);
  }
  if (format == "idx") {
    const double divide_by = data.number("divide_by", 1.0, 1e-300);
    if (data.has("test_images") || data.has("test_labels"))
      test = read_idx(spec.resolve(data.require_string("test_images")), spec.resolve(data.require_string("test_labels")), divide_by, dtype);
    return read_idx(spec.resolve(data.require_string("train_images")), spec.resolve(data.require_string("train_labels")), divide_by, dtype);
  }
  if (format == "npy") {
    const double divide_by = data.number("divide_by", 1.0, 1e-300);
    // An autoencoder's arrays are its inputs alone; targets_are_inputs is checked against train_targets by load_data.
    const bool own_targets = !data.boolean("targets_are_inputs", false);
    if (data.has("path")) {  // an .npz archive: its arrays by name, Keras's by default
      const NpzArchive archive = read_npz(spec.resolve(data.require_string("path")));
      auto read = [&](const char* inputs, const char* fallback_inputs, const char* targets, const char* fallback_targets) {
        return archive.samples(data.string(inputs, fallback_inputs),
                               own_targets ? std::optional(data.string(targets, fallback_targets)) : std::nullopt, divide_by, dtype);
      };
      const bool named_test = data.has("test_inputs") || data.has("test_targets");
      if (named_test || (archive.has("x_test") && (!own_targets || archive.has("y_test")))) test = read("test_inputs", "x_test", "test_targets", "y_test");
      return read("train_inputs", "x_train", "train_targets", "y_train");
    }
    auto read = [&](const char* inputs, const char* targets) {
      return own_targets ? read_npy(spec.resolve(data.require_string(inputs)), spec.resolve(data.require_string(targets)), divide_by, dtype)
                         : read_npy_inputs(spec.resolve(data.require_string(inputs)), divide_by, dtype);
    };
    if (data.has("test_inputs") || data.has("test_targets")) test = read("test_inputs", "test_targets");
    return read("train_inputs", "train_targets");
  }
  if (format == "csv") {
    const CsvLayout layout = csv_layout(data);
    Dataset train = divided(read_csv(spec.resolve(data.require_string("path")), layout, 0, dtype), data);
    if (data.has("test_path")) {
      const auto path = spec.resolve(data.require_string("test_path"));
      test = divided(read_csv(path, as_trained(layout, train.column_names), 0, dtype), data);
      // A file of samples without their labels or targets, as a competition's test.csv comes, would be read for
      // inputs to predict: refused before training rather than scored against labels it does not have.
      if (!test.has_value_targets() && test.labels.front() < 0)
        data.fail("test_path", fmt::format("names {}, which has no {} to score the test set against; to predict its samples, leave test_path out and "
                                           "give the file to `nnplug predict MODEL --input`",
                                           path.string(), train.has_value_targets() ? "target columns"
                                                          : train.column_names.label.empty()
                                                              ? "label column"
                                                              : fmt::format("label column ('{}')", train.column_names.label)));
    }
    return train;
  }
  if (format == "mnist_json") return read_mnist_json(spec.resolve(data.require_string("path")), dtype);
  if (format == "xor_blobs") return synthetic::xor_blobs(data.integer("samples", 1000, 4, kMaxSamples), seed);
  if (format == "gaussian_blobs") {
    // "centre_points": [[x, y], ...] fixes the centres (e.g. those scikit-learn draws for a random_state).
    std::vector<double> centres;
    const Params::Json points = data.json().value("centre_points", Params::Json::array());
    for (const auto& point : points) {
      if (!point.is_array()) data.fail("centre_points", "must be a list of points, each a list of numbers");
      for (const auto& v : point) {
        if (!v.is_number()) data.fail("centre_points", fmt::format("must hold numbers, got {}", Params::shown(v)));
        centres.push_back(v.get<double>());
      }
    }
    data.accept({"centre_points"});
    const auto centers =
        data.integer("centers", data.has("centre_points") ? static_cast<std::int64_t>(data.json()["centre_points"].size()) : 3, 1, 1000000);
    return synthetic::gaussian_blobs(data.integer("samples", 1000, 1, kMaxSamples), centers, data.integer("features", 2, 1, 1000000),
                                     data.number("std", 2.0, 1e-12), seed, centres);
  }
  if (format == "spirals") return synthetic::spirals(data.integer("points_per_class", 100, 2, kMaxSamples), data.integer("classes", 3, 1, 1000), seed);
  if (format == "friedman1")
    return synthetic::friedman1(data.integer("samples", 1000, 1, kMaxSamples), data.integer("features", 10, 5, 1000000), data.number("noise", 1.0, 0.0, 1e6),
                                seed);
  data.fail("format", fmt::format("must be \"idx\", \"npy\", \"csv\", \"image_folder\", \"text_folder\", \"mnist_json\", \"xor_blobs\", \"gaussian_blobs\", \"spirals\" "
                                  "or \"friedman1\", got \"{}\"", format));
}

// Samples to predict: an IDX image file for "idx" data, an .npy array of inputs (or an .npz archive's test inputs)
// for "npy", images or texts (a file, or a folder of them) for the folder formats, which texts read through `text`,
// else a CSV file whose rows hold the features (as many as the training samples had; by their names where the file
// and `columns` give them), with or without the label column.
Dataset read_input_file(const Spec& spec, const Params& data, const std::filesystem::path& inputs, std::int64_t features,
                        const ColumnNames& columns, DType dtype, const TextVectorization& text) {
  // A model saved from Python or the C++ API has no data section: its inputs come as NumPy saves them.
  const bool from_numpy = !spec.json.contains("data");
  if (from_numpy && inputs.extension() != ".npy" && inputs.extension() != ".npz")
    throw InvalidArgument(fmt::format("{}: {} names no data format (a model saved from Python or C++), so its inputs are an .npy array or an "
                                      ".npz archive's x_test", inputs.string(), spec.where()));
  const std::string format = from_numpy ? "npy" : data.require_string("format");
  const double divide_by = data.number("divide_by", 1.0, 1e-300);
  if (format == "image_folder") return read_images(inputs, image_layout(data), dtype);
  if (format == "text_folder") return vectorized(read_texts(inputs), text, dtype);
  const auto csv = [&] {
    return divided(read_csv(inputs, as_trained(csv_layout(data), columns), features, dtype), data);
  };
  Dataset samples = format == "idx"                 ? read_idx_images(inputs, divide_by, dtype)
                    : format != "npy"               ? csv()
                    : inputs.extension() == ".npz" ? read_npz(inputs).samples(data.string("test_inputs", "x_test"), std::nullopt, divide_by, dtype)
                                                    : read_npy_inputs(inputs, divide_by, dtype);
  if (samples.features() != features)
    throw ShapeError(fmt::format("{}: {} features per sample, the model was trained on {} ({})", inputs.string(), samples.features(), features,
                                 spec.where()));
  return samples;
}

// data.targets_are_inputs: each sample's values, as read, are its own targets (an autoencoder's). They are taken
// before the inputs are preprocessed, so that standardizing the inputs does not move the targets, and without
// decoding byte-coded pixels in place.
void inputs_as_targets(Dataset& d) {
  d.targets.clear();
  d.targets.reserve(d.x.size());
  std::as_const(d.x).visit([&](const auto& values) {
    for (const auto v : values) d.targets.push_back(static_cast<float>(v));
  });
  d.target_width = d.features();
  d.num_classes = 0;
  std::fill(d.labels.begin(), d.labels.end(), -1);
}

// Preprocessing named in the data section, fitted on the training set and applied to every set.
void preprocess(const Params& data, Experiment& ex) {
  ex.preprocessing = fit_input_preprocessing(data, ex.train);
  for (Dataset* d : {&ex.validation, &ex.test})
    if (d->size()) ex.preprocessing.apply(*d);
}

// "sample_shape": [C, H, W] (or any shape) gives each flat sample the shape convolutional layers expect.
void reshape_samples(const Params& data, Experiment& ex) {
  const std::int64_t features = ex.train.features();
  // Each size at most the features and the product checked as it grows, so that nothing overflows.
  const auto sizes = data.numbers("sample_shape", {}, 0, 1.0, static_cast<double>(std::max<std::int64_t>(features, 1)));
  if (sizes.size() > Model::kMaxSampleSizes)
    data.fail("sample_shape", fmt::format("has {} sizes; a sample has at most {} (a batch of them {})", sizes.size(), Model::kMaxSampleSizes,
                                          Shape::kMaxRank));
  Shape shape;
  std::int64_t values = 1;
  for (double d : sizes) {
    if (d != std::floor(d)) data.fail("sample_shape", "must hold integers");
    shape.push_back(static_cast<std::int64_t>(d));
    values *= static_cast<std::int64_t>(d);
    if (values > features) break;
  }
  if (values != features) data.fail("sample_shape", fmt::format("{} does not hold the {} values of each sample", Params::shown(data.json()["sample_shape"]), features));
  for (Dataset* d : {&ex.train, &ex.validation, &ex.test}) d->sample_shape = shape;
}

// A share of a few samples may round to none held out, and the run would go on without the set it asks for.
void warn_of_empty_splits(const Spec& spec, const Experiment& ex) {
  const Params data = spec.section("data");
  const std::int64_t samples = ex.train.size() + ex.validation.size() + ex.test.size();
  for (const auto& [key, set, name] : {std::tuple{"validation_split", &ex.validation, "validation"}, {"test_split", &ex.test, "test"}})
    if (const double share = data.number(key, 0.0); share > 0 && set->size() == 0)
      fmt::print(stderr, "warning: {}: data.{} {} of {} samples rounds to none held out: the run has no {} set\n", spec.where(), key, share,
                 samples, name);
}

// Labels counted from 1, which check_targets names where they ask for an output too many: a CSV's class_names reads
// them as names.
std::string class_names_from_one(const Dataset& train) {
  return fmt::format("; the data section's \"class_names\": [\"1\", ..., \"{}\"] reads them as names, 1 as class 0", train.num_classes - 1);
}

// A CSV column of values (a price, a count) named as the label column: read as class labels, it asks for an output
// per value. Named where the loss takes values (mse) or where there are more classes than samples.
std::string values_as_labels(const Dataset& train, const Loss& loss) {
  if (train.has_value_targets() || (loss.target_kind() != TargetKind::Values && train.num_classes <= train.size())) return "";
  const std::string& column = train.column_names.label;
  return fmt::format("; to regress on the values of {}, name it in the data section's \"targets\" in place of \"label_column\"",
                     column.empty() ? std::string("the label column") : fmt::format("column '{}'", column));
}

}  // namespace

void load_data(const Spec& spec, Experiment& ex, std::uint64_t seed, std::optional<std::int64_t> limit_train,
               const std::filesystem::path& inputs, Preprocessing preprocessing) {
  const Params data = spec.section("data");
  const std::string format = data.require_string("format");
  const auto data_seed = static_cast<std::uint64_t>(data.integer("seed", static_cast<std::int64_t>(seed), 0));
  const double validation_split = data.number("validation_split", 0.0, 0.0, 0.99);
  const double test_split = data.number("test_split", 0.0, 0.0, 0.99);
  const auto limit = data.integer("limit_train", -1, -1);
  const auto limit_test = data.integer("limit_test", -1, -1);
  const DType dtype = spec_dtype(Params(spec.where(), spec.json));
  if (data.has("targets") && format != "csv")
    data.fail("targets", format == "npy" ? "names the value columns of a CSV file (format \"csv\"); an .npy file of targets is train_targets "
                                           "(and test_targets), beside train_inputs"
                                         : "names the value columns of a CSV file (format \"csv\")");
  const bool targets_are_inputs = data.boolean("targets_are_inputs", false);
  if (targets_are_inputs && data.has("targets")) data.fail("targets_are_inputs", "cannot be given with targets: the inputs are the targets");
  // Refused before the data is read, which may take a while.
  standardize_of(data);
  missing_value_filler(data);
  if (data.has("fill_missing") && (format != "csv" || targets_are_inputs))
    data.fail("fill_missing", format != "csv" ? "fills a CSV file's missing values (format \"csv\")"
                                              : "cannot be given with targets_are_inputs: the targets would hold the missing values");
  if (targets_are_inputs && (data.has("train_targets") || data.has("test_targets")))
    data.fail("targets_are_inputs", "cannot be given with train_targets or test_targets: the inputs are the targets");
  const bool class_folders = format == "image_folder" || format == "text_folder";
  if (class_folders && data.has("class_names"))
    data.fail("class_names", fmt::format("cannot be given for {} folder: its classes are its class folders' names",
                                         format == "image_folder" ? "an image" : "a text"));
  // "shuffle": false keeps the file's order when nothing is split off; a split draws its samples at random (seeded),
  // and what stays for training is then in that seeded order. The limit applies before the split.
  const bool split_off = spec.section("training").boolean("shuffle", true) || validation_split > 0 || test_split > 0;
  const std::uint64_t split_seed = data_seed ^ 0x5eed5eedULL;
  // "stratify": each class split by the fractions, as scikit-learn's train_test_split(stratify=y) splits.
  const bool stratify = data.boolean("stratify", false);
  if (stratify && validation_split == 0 && test_split == 0)
    data.fail("stratify", "splits validation_split and test_split by class, and neither is given");
  const auto split_rows = [&](const std::vector<std::int32_t>& labels) {
    if (stratify && std::ranges::any_of(labels, [](std::int32_t label) { return label < 0; }))
      data.fail("stratify", "splits by class label, and the samples have none (value targets, or a label per step)");
    return stratify ? stratified_split_three_rows(labels, validation_split, test_split, split_seed)
                    : split_three_rows(static_cast<std::int64_t>(labels.size()), validation_split, test_split, split_seed);
  };
  const auto training_rows = [&](std::vector<std::int32_t> labels) {
    const auto n = static_cast<std::int64_t>(labels.size());
    labels.resize(static_cast<std::size_t>(std::min(n, limit_train ? *limit_train : limit >= 0 ? limit : n)));
    if (split_off) return split_rows(labels).train;
    std::vector<std::int64_t> rows(labels.size());
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
  };
  std::vector<std::string> folder_classes;
  Dataset train = read_source(spec, data, format, data_seed, dtype, ex.test, folder_classes, ex.text, training_rows);
  train.convert(dtype);
  if (targets_are_inputs)
    for (Dataset* d : {&train, &ex.test}) inputs_as_targets(*d);
  // A test set of another sample size would fail only when scored, after the whole training run.
  if (ex.test.size() && ex.test.features() != train.features()) {
    const char* key = format == "idx" ? "test_images" : format != "npy" ? "test_path" : data.has("path") ? "path" : "test_inputs";
    const std::string file = data.json().value(key, std::string());
    throw ShapeError(fmt::format("{}: test samples of {} values, the training samples have {} ({})", spec.resolve(file).string(),
                                 ex.test.features(), train.features(), spec.where()));
  }
  if (limit_test >= 0 && ex.test.size()) ex.test = ex.test.head(limit_test);
  // The limit applies before the split, and the split is seeded, so a run is reproducible.
  if (limit_train) train = train.head(*limit_train);
  else if (limit >= 0) train = train.head(limit);
  if (test_split > 0 && ex.test.size()) data.fail("test_split", "cannot be used when the data names its own test set");
  if (!split_off) {
    ex.train = std::move(train);
  } else {
    const SplitRows rows = split_rows(train.labels);
    ex.train = train.subset(rows.train);
    ex.validation = train.subset(rows.validation);
    if (test_split > 0) ex.test = train.subset(rows.test);
  }
  if (!inputs.empty()) ex.test = read_input_file(spec, data, inputs, ex.train.features(), ex.train.column_names, dtype, ex.text);
  ex.test.num_classes = ex.validation.num_classes = ex.train.num_classes =
      std::max({ex.train.num_classes, ex.test.num_classes, ex.validation.num_classes});
  if (preprocessing == Preprocessing::Fit) preprocess(data, ex);
  else data.accept({"fill_missing", "mean_subtraction", "standardize", "pca"});
  if (data.has("sample_shape")) reshape_samples(data, ex);
  ex.class_names = class_folders ? std::move(folder_classes) : read_class_names(data);
  if (ex.class_names.empty()) ex.class_names = ex.train.column_names.classes;  // a CSV file's labels by name
  data.accept({"standardize_targets"});  // read with the loss: fit_target_scaling
  data.check_unused();
}

TargetScaling fit_target_scaling(const Params& data, const Dataset& train, const Loss& loss, const Shape& output) {
  if (!data.boolean("standardize_targets", false)) return {};
  if (!train.has_value_targets())
    data.fail("standardize_targets", "standardizes value targets (data.targets, or friedman1's), but this data's targets are class labels");
  const bool class_labels = loss.target_kind() == TargetKind::ClassIndex || labels_per_step(loss, output, train.target_width);
  if (class_labels || scores_labels(loss.output_link()) || soft_labels(loss, train))
    data.fail("standardize_targets", fmt::format("cannot be used with loss {}: its targets are {}, which standardizing would move", loss.type(),
                                                 class_labels                        ? "class labels (one per step)"
                                                 : scores_labels(loss.output_link()) ? "labels, 0 or 1"
                                                                                     : "class probabilities or one-hot rows"));
  return TargetScaling::fit(train.targets, train.target_width);
}

std::vector<std::string> read_target_names(const Params& data, std::int64_t width, const std::vector<std::string>& header_names) {
  std::vector<std::string> names;
  if (data.boolean("targets_are_inputs", false)) {
    for (std::int64_t k = 0; k < width; ++k) names.push_back(fmt::format("input_{}", k));
    return names;
  }
  if (data.json().value("format", std::string()) == "friedman1") return {"y"};
  for (const auto& column : read_columns(data, "targets")) {
    const auto* name = std::get_if<std::string>(&column);
    const std::size_t k = names.size();
    names.push_back(name ? *name : k < header_names.size() ? header_names[k] : fmt::format("target_{}", k));
  }
  return names;
}

std::vector<std::string> read_class_names(const Params& data) {
  data.accept({"class_names"});
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;  // a repeat found in one lookup, however long the list
  for (const auto& name : data.json().value("class_names", Params::Json::array())) {
    if (!name.is_string()) data.fail("class_names", fmt::format("must be a list of strings, got {}", Params::shown(name)));
    if (!seen.insert(name.get<std::string>()).second) data.fail("class_names", fmt::format("names {} twice", Params::shown(name)));
    names.push_back(name.get<std::string>());
  }
  return names;
}

std::vector<std::string> spec_class_names(const Spec& spec) {
  const Params data = spec.section("data");
  const std::string format = data.string("format", "");
  if (format != "image_folder" && format != "text_folder") return read_class_names(data);
  try {
    return class_folder_names(spec.resolve(data.require_string("path")));
  } catch (const IoError&) {
    return {};  // a model file used far from its training data
  }
}

std::optional<Dataset> read_inputs(const Spec& spec, const Model& model, const std::filesystem::path& inputs) {
  const Params data = spec.section("data");
  const InputPreprocessing& preprocessing = model.input_preprocessing();
  if (preprocessing.empty() && names_preprocessing(data)) return std::nullopt;
  const std::int64_t features = model.input_shape().numel();
  Dataset samples = read_input_file(spec, data, inputs, preprocessing.features_in(features), model.column_names(), model.dtype(),
                                    model.text_vectorization());
  preprocessing.apply(samples);  // what the checks above leave cannot fail: the steps chain into `features` values
  samples.sample_shape = model.input_shape();
  return samples;
}

namespace {
// A spec node's layer (or activation) and its penalties and constraints, made by their plugins.
ModelNode create_node(const SpecNode& node, const Registry& registry) {
  const Params params(node.owner, node.layer);
  std::vector<Attachment> attachments;
  for (const auto& [key, value] : node.attachments) {
    const bool constraint = key.ends_with("_constraint");
    auto regularizer = registry.create_regularizer(Params(fmt::format("{} {}", node.owner, key), value));
    const auto role = constraint ? RegularizerRole::Constraint : RegularizerRole::Penalty;
    if (regularizer->role() != role)
      throw InvalidArgument(fmt::format("{}: {} takes a {}, and {} is a {}", node.owner, key, constraint ? "constraint" : "penalty",
                                        regularizer->type(), constraint ? "penalty" : "constraint"));
    attachments.push_back({key.substr(0, key.rfind('_')), std::move(regularizer)});
  }
  const std::string type = params.type();
  std::shared_ptr<Layer> layer;
  if (registry.has(PluginKind::Layer, type)) {
    layer = registry.create_layer(params);
  } else if (registry.has(PluginKind::Activation, type)) {
    layer = std::make_shared<ActivationLayer>(registry.create_activation(params));
  } else {
    auto known = registry.names(PluginKind::Layer);
    for (auto& n : registry.names(PluginKind::Activation)) known.push_back(std::move(n));
    throw PluginError(fmt::format("{}: unknown layer '{}'{}; layers and activations available: {}", node.owner, type, familiar_name_hint(type, known),
                                  name_list(known)));
  }
  return ModelNode{std::move(layer), node.label, node.name, node.inputs, std::move(attachments), node.group};
}
}  // namespace

void add_layers(const Spec& spec, const Registry& registry, Model& model) {
  const SpecGraph graph = expand_layers(spec);
  for (const auto& warning : graph.warnings) fmt::print(stderr, "warning: {}\n", warning);
  for (const SpecNode& node : graph.nodes) model.add(create_node(node, registry));
}

void check_layers(const Spec& spec, const Registry& registry) {
  for (const SpecNode& node : expand_layers(spec).nodes) (void)create_node(node, registry);
}

Params plugin_option(const std::string& option, const std::string& value) {
  if (value.empty() || value.front() != '{') return Params(option, value);
  try {
    return Params(option, parse_user_json(value, option));
  } catch (const Params::Json::exception& e) {
    throw InvalidArgument(fmt::format("{}: {} is neither a plugin name nor a JSON object: {}", option, value, e.what()));
  }
}

std::shared_ptr<Communicator> create_communicator(const Spec& spec, const Registry& registry, const std::string& option) {
  if (!option.empty()) return registry.create_communicator(plugin_option("--communicator", option));
  return registry.create_communicator(spec.section("communicator", registry.best_communicator()));
}

// "sampler": {"weights": "balanced" or one per class, "num_samples": the training set's size, "replacement": true}, or
// "balanced" for {"weights": "balanced"}.
ClassSampling class_sampling(const Params& p) {
  if (p.has("type") && p.type() != "balanced") p.fail("", fmt::format("must be \"balanced\" or an object, got \"{}\"", Params::shortened(p.type())));
  ClassSampling s{p.owner(), {}, p.integer("num_samples", 0, 1), p.boolean("replacement", true)};
  const bool balanced = !p.has("weights") || (p.json()["weights"].is_string() && p.string("weights", "") == "balanced");
  if (!balanced) s.class_weights = p.numbers("weights", {}, 0, 0.0);  // refuses other strings, naming the field
  p.check_unused();
  return s;
}

FitOptions fit_options_from_spec(const Spec& spec, const Registry& registry, const std::shared_ptr<Optimizer>& optimizer, const Shape& sample_shape) {
  FitOptions fit;
  const Params training = spec.section("training");
  fit.epochs = static_cast<int>(training.integer("epochs", 1, 0, 1000000));
  fit.batch_size = training.integer("batch_size", 32, 1);
  fit.shuffle = training.boolean("shuffle", true);
  fit.drop_last = training.boolean("drop_last", false);
  if (training.has("sampler")) fit.sampling = class_sampling(training.child("sampler", Params::Json::object()));
  if (training.has("class_weight")) {
    fit.loss_weighting = class_weighting(training, "class_weight");
    refuse_weighing_classes_twice(fit.loss_weighting, spec.json.value("loss", Params::Json()));
  }
  fit.gradient_accumulation_steps = training.integer("gradient_accumulation_steps", 1, 1, 1000000);
  fit.mixup_alpha = training.number("mixup_alpha", 0.0, 0.0, 1e6);
  fit.cutmix_alpha = training.number("cutmix_alpha", 0.0, 0.0, 1e6);
  training.accept({"bucket_mb", "gradient_compression"});
  training.check_unused();
  if (spec.json.contains("schedule")) fit.schedule = registry.create_schedule(spec.section("schedule"));
  if (spec.json.contains("gradient_transforms")) {
    const auto& list = spec.json["gradient_transforms"];
    if (!list.is_array()) throw InvalidArgument(fmt::format("{}: \"gradient_transforms\" must be an array", spec.where()));
    for (std::size_t i = 0; i < list.size(); ++i)
      fit.gradient_transforms.push_back(registry.create_gradient_transform(
          Params(fmt::format("{}: gradient_transforms[{}]", spec.where(), i), list[i])));
  }
  if (spec.json.contains("augmentation")) {
    try {
      fit.augmentation = std::make_shared<ImageAugmentation>(spec.section("augmentation"));
    } catch (const InvalidArgument& e) {  // Keras's ImageDataGenerator names pointed to nnplug's
      throw with_familiar_hint(e, spec.json["augmentation"]);
    }
    try {
      fit.augmentation->check(sample_shape);
    } catch (const ShapeError& e) {
      throw ShapeError(fmt::format("{}: {}", spec.where(), e.what()));
    }
  }
  fit.callbacks = make_callbacks(spec, registry, optimizer);
  return fit;
}

Experiment build_experiment(const Spec& spec, const Registry& registry, const Overrides& overrides) {
  Params top(spec.where(), spec.json);
  // Fields that only some commands use are checked by all of them, first, so that a mistake shows where it was made.
  (void)top.string("name", "");
  (void)top.string("description", "");
  // Keras's fit() arguments and model, written at the top as a first spec may write them: where they go.
  for (const char* key : {"epochs", "batch_size"})
    if (top.has(key)) top.fail(key, "belongs in the \"training\" section: \"training\": {\"epochs\": 10, \"batch_size\": 32}");
  if (top.has("model") && !top.has("layers"))
    top.fail("model", "is no section: the model is the spec's own \"layers\" list, beside \"loss\" and \"optimizer\"");
  SearchSettings search;
  std::vector<SearchDimension> searched;
  read_search_section(spec, search, searched);
  Experiment ex;
  const auto seed = static_cast<std::uint64_t>(top.integer("seed", 0, 0));
  const DType dtype = spec_dtype(top);
  Params backend = spec.section("backend", registry.best_backend());
  if (!overrides.backend.empty()) backend = backend_option(overrides.backend);
  ex.precision = spec_precision(top);
  ex.backend = create_backend_in_precision(registry, backend, ex.precision);

  if (overrides.data) {
    ex.train = overrides.data->train, ex.validation = overrides.data->validation, ex.test = overrides.data->test;
    for (Dataset* d : {&ex.train, &ex.validation, &ex.test}) d->convert(dtype);
    ex.class_names = overrides.data->class_names;
    ex.preprocessing = overrides.data->preprocessing;
    ex.text = overrides.data->text;
  } else {
    load_data(spec, ex, seed, overrides.limit_train);
    warn_of_empty_splits(spec, ex);
  }

  ex.loss = registry.create_loss(spec.section("loss"));
  ex.optimizer = registry.create_optimizer(spec.section("optimizer"));
  // The spec's values are read (and checked) even when the command line replaces them.
  ex.fit = fit_options_from_spec(spec, registry, ex.optimizer, ex.train.sample_shape);
  const Params training = spec.section("training");
  ex.bucket_bytes = static_cast<std::size_t>(training.number("bucket_mb", 25.0, 1.0 / 1024, 1024.0) * (1 << 20));
  const std::string compression = training.string("gradient_compression", "none");
  if (compression == "bfloat16") ex.gradient_compression = Compression::BFloat16;
  else if (compression != "none")
    training.fail("gradient_compression", fmt::format("must be \"none\" or \"bfloat16\", got \"{}\"", compression));
  ex.fit.seed = seed;
  if (overrides.epochs) ex.fit.epochs = *overrides.epochs;
  if (overrides.batch_size) ex.fit.batch_size = *overrides.batch_size;
  if (ex.fit.batch_size <= 0)
    throw InvalidArgument(fmt::format("batch size must be a positive integer, got {}", ex.fit.batch_size));
  for (const auto& c : ex.fit.callbacks) c->check(ex.validation.size() > 0);
  top.accept({"augmentation", "backend", "precision", "communicator", "callbacks", "data", "training", "layers", "blocks", "loss", "optimizer", "schedule",
              "gradient_transforms", "search", "initialize_from"});
  top.check_unused();

  ex.model = build_model(spec, registry, ex.backend, dtype, ex.train.sample_shape, seed);
  ex.model->set_input_preprocessing(ex.preprocessing);
  ex.model->set_text_vectorization(ex.text);
  ex.model->set_column_names(ex.train.column_names);
  initialize_from_spec(spec, *ex.model);
  take_array_class_labels(spec, *ex.loss, ex.model->output_shape(), {&ex.train, &ex.validation, &ex.test});
  const std::string from_one = labels_from_one(ex.train);
  const bool csv = data_format(spec) == "csv";
  const std::string as_names = csv && !from_one.empty() ? class_names_from_one(ex.train) : "";
  try {
    check_targets(*ex.loss, ex.model->output_shape(), ex.train);
  } catch (const ShapeError& e) {
    throw ShapeError(fmt::format("{}: {}{}{}", spec.where(), e.what(), as_names, csv ? values_as_labels(ex.train, *ex.loss) : ""));
  }
  if (!from_one.empty()) fmt::print(stderr, "warning: {}: {}{}\n", spec.where(), from_one, as_names);
  ex.model->set_target_scaling(fit_target_scaling(spec.section("data"), ex.train, *ex.loss, ex.model->output_shape()));
  for (const std::string& warning : model_warnings(*ex.model, *ex.loss)) fmt::print(stderr, "warning: {}: {}\n", spec.where(), warning);
  // Fewer classes than outputs is legal (labels index the outputs), but in a spec's whole data set it is likely a slip.
  const auto outputs = ex.model->output_shape().numel();
  if (outputs > 1 && outputs > ex.train.num_classes && ex.train.num_classes > 0)
    fmt::print(stderr, "warning: {}: the model outputs {} per sample but the data has {} class{}; {} never a target\n", spec.where(),
               ex.model->output_shape().str(), ex.train.num_classes, ex.train.num_classes == 1 ? "" : "es",
               outputs - 1 == ex.train.num_classes ? fmt::format("output {} is", outputs - 1)
                                                   : fmt::format("outputs {} to {} are", ex.train.num_classes, outputs - 1));
  // A column of names or ticket numbers ("categorical": "auto" takes any column of words) one-hot encodes into about
  // a column per sample, which a model can only memorise.
  const ColumnNames& columns = ex.train.column_names;
  for (std::size_t f = 0; f < columns.categories.size(); ++f)
    if (const auto count = static_cast<std::int64_t>(columns.categories[f].size()); count > 20 && 2 * count > ex.train.size())
      fmt::print(stderr, "warning: {}: column {} holds {} categories for {} training samples: an identifier or free text rather than categories? "
                         "the data section's \"drop_columns\" leaves it out\n",
                 spec.where(), columns.feature_name(f), count, ex.train.size());
  return ex;
}

std::string data_format(const Spec& spec) {
  const auto data = spec.json.find("data");
  return data != spec.json.end() && data->is_object() ? data->value("format", "") : "";
}

void take_array_class_labels(const Spec& spec, const Loss& loss, const Shape& output, std::initializer_list<Dataset*> sets) {
  if (data_format(spec) != "npy") return;
  for (Dataset* d : sets)
    if (d) take_class_labels(loss, output, *d);
}

std::vector<std::string> model_warnings(const Model& model, const Loss& loss) {
  std::vector<std::string> warnings;
  const std::string last = model.layer(model.size() - 1).type();
  const OutputLink link = loss.output_link();
  if ((last == "softmax" && link == OutputLink::Softmax) || (last == "sigmoid" && link == OutputLink::Sigmoid))
    warnings.push_back(fmt::format("the last layer is a {0} and loss {1} applies a {0} to its inputs itself (it takes logits), so the outputs pass "
                                   "through two; drop the last {0} (predict still gives probabilities)",
                                   last, loss.type()));
  // A loss of class labels that reads the outputs as they are takes probabilities (Keras's categorical_crossentropy);
  // on logits its -log p_y falls below 0 without bound, and training still seems to go well.
  if (loss.target_kind() == TargetKind::ClassIndex && link == OutputLink::Identity && last != "softmax")
    warnings.push_back(fmt::format("loss {} takes class probabilities (as Keras's categorical_crossentropy without from_logits), but the model "
                                   "ends in {}, not a softmax, so its outputs are not probabilities and the loss falls below 0 without bound; "
                                   "end the model in a softmax, or choose softmax_cross_entropy, which applies it itself (Keras's from_logits=True)",
                                   loss.type(), model.label(model.size() - 1)));
  // The layers that read [channels, height, width] images.
  static const std::set<std::string> image_layers = {"conv2d",        "conv2d_transpose",    "max_pool2d",        "avg_pool2d",
                                                     "adaptive_avg_pool2d", "adaptive_max_pool2d", "global_avg_pool2d", "global_max_pool2d",
                                                     "upsample2d",    "padding2d",           "zero_padding2d",    "cropping2d"};
  const Shape& input = model.input_shape();
  const std::string hint = channels_last_hint(input);
  for (std::size_t i = 0; !hint.empty() && i < model.size(); ++i)
    if (image_layers.contains(model.layer(i).type()) && std::ranges::find(model.inputs(i), Model::kInput) != model.inputs(i).end()) {
      warnings.push_back(fmt::format("{} reads the input {} as {} channels of {}x{} images; {}", model.label(i), input.str(), input[0], input[1],
                                     input[2], hint));
      break;
    }
  return warnings;
}

void initialize_from_spec(const Spec& spec, Model& model) {
  if (!spec.json.contains("initialize_from")) return;
  // "initialize_from": "weights.safetensors", or {"path": ..., "names": {"0.weight": "fc1.weight"}, "strict": true}.
  const Params from = spec.section("initialize_from");
  WeightImport import;
  import.path = spec.resolve(from.has("path") ? from.require_string("path") : from.type());
  import.strict = from.boolean("strict", true);
  const Params::Json names = from.json().value("names", Params::Json::object());  // kept: items() refers into it
  for (const auto& [ours, theirs] : names.items()) {
    if (!theirs.is_string()) from.fail("names", fmt::format("must map parameter names to names in the file, got {}", Params::shown(theirs)));
    import.names[ours] = theirs.get<std::string>();
  }
  from.accept({"names", "type"});
  from.check_unused();
  import_weights(import, model);
}

std::unique_ptr<Model> build_model(const Spec& spec, const Registry& registry, std::shared_ptr<Backend> backend, DType dtype,
                                   const Shape& input, std::uint64_t seed) {
  auto model = std::make_unique<Model>(std::move(backend), dtype);
  add_layers(spec, registry, *model);
  try {
    model->build(input, registry, seed);
  } catch (const ShapeError& e) {
    throw ShapeError(fmt::format("{}: {}", spec.where(), e.what()));
  } catch (const InvalidArgument& e) {  // a layer's other errors, such as memory its parameters do not fit in
    throw InvalidArgument(fmt::format("{}: {}", spec.where(), e.what()));
  }
  return model;
}

}  // namespace nnplug
