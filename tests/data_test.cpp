// Data: synthetic sets, the CSV reader, seeded splits, preprocessing fitted on training data only, PCA and
// whitening against closed forms, one-hot.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <numeric>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/preprocessing.hpp"
#include "nnplug/framework/stratified_split.hpp"
#include "nnplug/framework/synthetic.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// Per-feature mean and population variance.
std::pair<std::vector<double>, std::vector<double>> moments(const Dataset& d) {
  const auto f = static_cast<std::size_t>(d.features()), n = static_cast<std::size_t>(d.size());
  std::vector<double> m(f, 0), v(f, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) m[j] += d.x[i * f + j] / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) v[j] += (d.x[i * f + j] - m[j]) * (d.x[i * f + j] - m[j]) / static_cast<double>(n);
  return {m, v};
}

TEST(Synthetic, XorBlobsFollowTheChapter) {
  const Dataset d = synthetic::xor_blobs(1000, 1000);
  ASSERT_EQ(d.size(), 1000);
  int agree = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const bool same_sign = (d.x[2 * i] > 0) == (d.x[2 * i + 1] > 0);
    agree += same_sign == (d.labels[i] == 1);
  }
  EXPECT_GT(agree, 990);  // std 0.316 around (+-1, +-1): about 0.2% of points cross an axis
  const auto [m, v] = moments(synthetic::xor_blobs(1000, 1).head(250));  // the first blob, mean (1, -1)
  EXPECT_NEAR(m[0], 1.0, 5 * std::sqrt(0.1 / 250));
  EXPECT_NEAR(m[1], -1.0, 5 * std::sqrt(0.1 / 250));
  EXPECT_NEAR(v[0], 0.1, 5 * 0.1 * std::sqrt(2.0 / 250));
}

TEST(Synthetic, GaussianBlobsAndSpirals) {
  const Dataset b = synthetic::gaussian_blobs(900, 3, 2, 2.0, 2);
  EXPECT_EQ(b.num_classes, 3);
  EXPECT_EQ(std::count(b.labels.begin(), b.labels.end(), 1), 300);
  const Dataset s = synthetic::spirals(100, 3, 3);
  EXPECT_EQ(s.size(), 300);
  for (std::size_t i = 0; i < 300; ++i) EXPECT_LE(std::hypot(s.x[2 * i], s.x[2 * i + 1]), 1.0 + 1e-6);
  EXPECT_EQ(synthetic::spirals(100, 3, 3).x, s.x);  // seeded
}

TEST(Synthetic, Friedman1FollowsFriedmansFormula) {
  const auto f = [](const double* x) {
    return 10 * std::sin(std::numbers::pi * x[0] * x[1]) + 20 * (x[2] - 0.5) * (x[2] - 0.5) + 10 * x[3] + 5 * x[4];
  };
  const Dataset exact = synthetic::friedman1(100, 7, 0.0, 4);
  ASSERT_EQ(exact.target_width, 1);
  EXPECT_EQ(exact.sample_shape, Shape{7});
  const auto x = exact.x.doubles();
  for (std::size_t i = 0; i < 100; ++i) EXPECT_NEAR(exact.targets[i], f(x.data() + 7 * i), 1e-5) << i;
  EXPECT_GE(*std::min_element(x.begin(), x.end()), 0.0);
  EXPECT_LE(*std::max_element(x.begin(), x.end()), 1.0);
  // The noise: N(0, 0.5^2), so the residuals' mean is within a few 0.5 / sqrt(4000) of 0, and their standard
  // deviation within a few 0.5 / sqrt(2 * 4000) of 0.5.
  const Dataset noisy = synthetic::friedman1(4000, 5, 0.5, 4);
  const auto xs = noisy.x.doubles();
  double sum = 0, squares = 0;
  for (std::size_t i = 0; i < 4000; ++i) {
    const double r = noisy.targets[i] - f(xs.data() + 5 * i);
    sum += r, squares += r * r;
  }
  EXPECT_NEAR(sum / 4000, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(squares / 4000), 0.5, 0.02);
}

// What a word in a column of numbers past the first line adds: it may be a category, which the data section can name.
constexpr const char* kCategoriesHint =
    "; a column of categories (words or codes) is one-hot encoded where the data section lists it in \"categorical\"";

// What a missing feature value's refusal adds.
constexpr const char* kFillHint = "fills where the data section names fill_missing (\"mean\", \"median\", \"most_frequent\" or a number); or fill "
                                  "or drop it first";

class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = fs::temp_directory_path() / fmt::format("nnplug_csv_{}.csv", ::getpid()); }
  void TearDown() override { fs::remove(path_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string error_of(const CsvLayout& label = {}, std::int64_t features = 0) {
    try {
      read_csv(path_, label, features);
    } catch (const IoError& e) {
      return e.what();
    }
    return "(no error)";
  }
  fs::path path_;
};

TEST_F(CsvTest, ReadsHeaderFeaturesAndLabels) {
  write("a,b,label\n1.5,2,0\n-3, 4e-1 ,2\n\n");
  const Dataset d = read_csv(path_);
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.0f, -3.0f, 0.4f}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(d.num_classes, 3);
  write("0,1.5,2\n1,-3,4\n");
  const Dataset first = read_csv(path_, 0);  // label in the first column
  EXPECT_EQ(first.labels, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(first.x, (std::vector<float>{1.5f, 2.0f, -3.0f, 4.0f}));
}

TEST_F(CsvTest, RowsOfFeaturesAloneHaveUnknownLabels) {
  // Inputs to predict for a model of 2 features: without a label column every label is -1; with one, it is read.
  write("x,y\n1,2\n3,4\n");
  const Dataset d = read_csv(path_, -1, 2);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{-1, -1}));
  EXPECT_EQ(d.features(), 2);
  write("1,2,1\n");
  EXPECT_EQ(read_csv(path_, -1, 2).labels, (std::vector<std::int32_t>{1}));
}

TEST_F(CsvTest, TheLabelColumnMayBeNamedAsTheHeaderNamesIt) {
  write("\"class\",a,b\n2,1.5,2\n0,-3,4\n");  // pandas' to_csv(quoting=csv.QUOTE_NONNUMERIC) quotes the header
  const Dataset d = read_csv(path_, std::string("class"));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{2, 0}));
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.0f, -3.0f, 4.0f}));
  EXPECT_EQ(error_of(std::string("label")), fmt::format("{}:1: no column is named 'label' (the header names class, a, b)", path_.string()));
  // Inputs to predict: without the named column the rows are features alone; with it, it is read.
  write("a,b\n1,2\n");
  EXPECT_EQ(read_csv(path_, std::string("class"), 2).labels, (std::vector<std::int32_t>{-1}));
  EXPECT_EQ(error_of(std::string("class"), 3), fmt::format("{}:1: no column is named 'class' (the header names a, b)", path_.string()));
  write("a,class,b\n1,1,2\n");
  EXPECT_EQ(read_csv(path_, std::string("class"), 2).labels, (std::vector<std::int32_t>{1}));
  // One column, as inputs to a model of one feature may be, named as the label: a label and no feature (the fuzzer's).
  write("class\n8\n6\n");
  EXPECT_EQ(error_of(std::string("class"), 1), fmt::format("{}:1: needs at least one feature beside the label, which is its only column", path_.string()));
  write("1,0,2\n");
  EXPECT_EQ(error_of(std::string("class")),
            fmt::format("{}:1: the label column is named 'class', but the first row is data, not a header", path_.string()));
}

// A header's feature columns are the features' names; inputs to predict for a model that keeps them are read by
// name, in whatever order their columns come, as pandas selects a frame's columns.
TEST_F(CsvTest, InputsToPredictAreReadByTheFeaturesNames) {
  write("a,b,label\n1,2,0\n");
  EXPECT_EQ(read_csv(path_).column_names, (ColumnNames{{"a", "b"}, "label"}));
  write("a,label,label\n1,2,0\n");  // names that repeat cannot find their columns again
  EXPECT_TRUE(read_csv(path_).column_names.empty());
  write("1,2,0\n");
  EXPECT_TRUE(read_csv(path_).column_names.empty());

  CsvLayout layout;  // the label is the last column, by place
  layout.trained = {{"a", "b", "c"}, "label"};
  write("c,a,b\n3,1,2\n30,10,20\n");
  Dataset d = read_csv(path_, layout, 3);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 10, 20, 30}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{-1, -1}));
  write("b,label,c,a\n2,1,3,1\n");  // the label by its name too, away from the last column
  d = read_csv(path_, layout, 3);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{1}));
  write("b,a\n2,1\n");
  EXPECT_EQ(error_of(layout, 3),
            fmt::format("{}:1: no column is named 'c', a feature the model was trained on (a, b, c); the header names b, a", path_.string()));
  write("id,a,b,c\n7,1,2,3\n");
  EXPECT_EQ(error_of(layout, 3), fmt::format("{}:1: column 'id' is none of the features the model was trained on (a, b, c)", path_.string()));
  write("1,2,3,0\n");  // no header: by place, as before
  EXPECT_EQ(read_csv(path_, layout, 3).x, (std::vector<float>{1, 2, 3}));

  // Value targets given by place keep their names too, and are found by them.
  CsvLayout values;
  values.target_columns = {std::int64_t{-1}};
  write("a,b,price\n1,2,9\n");
  values.trained = read_csv(path_, values).column_names;
  EXPECT_EQ(values.trained, (ColumnNames{{"a", "b"}, "", {"price"}}));
  write("price,b,a\n9,2,1\n");
  d = read_csv(path_, values, 2);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2}));
  EXPECT_EQ(d.targets, (std::vector<float>{9}));
}

// As pandas and spreadsheets write them: labels by name (read through the data section's class_names, in its
// order, or sorted), a UTF-8 byte order mark before the header (to_csv(encoding="utf-8-sig"), Excel), and what is refused
// with a hint: a missing value (an empty field, pandas' NaN) and a file separated by semicolons.
TEST_F(CsvTest, ReadsWhatPandasAndSpreadsheetsWrite) {
  write("\xEF\xBB\xBFspecies,a\ncat,1.5\n\"dog\",2\n1,3\n");
  CsvLayout label(std::string("species"));
  label.class_names = {"dog", "cat"};
  const Dataset d = read_csv(path_, label);
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{1, 0, 1}));  // a number is still an index
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.0f, 3.0f}));
  EXPECT_EQ(d.num_classes, 2);
  label.class_names = {"dog", "cow"};
  EXPECT_EQ(error_of(label), fmt::format("{}:2: label 'cat' is none of the class_names (dog, cow)", path_.string()));
  // Class names that are numbers (labels counted from 1) name their classes, and a number they do not list is none.
  write("label,a\n1,1\n3,2\n2,3\n");
  label = CsvLayout(std::string("label"));
  label.class_names = {"1", "2", "3"};
  EXPECT_EQ(read_csv(path_, label).labels, (std::vector<std::int32_t>{0, 2, 1}));
  label.class_names = {"1", "2"};
  EXPECT_EQ(error_of(label), fmt::format("{}:3: label '3' is none of the class_names (1, 2)", path_.string()));
  write("\xEF\xBB\xBFspecies,a\ncat,1.5\n\"dog\",2\n1,3\n");
  // Without class_names the names are the classes, sorted (scikit-learn's LabelEncoder); a label that reads as a
  // number is then a name too, and a name below labels that are numbers is refused.
  const Dataset inferred = read_csv(path_, std::string("species"));
  EXPECT_EQ(inferred.column_names.classes, (std::vector<std::string>{"1", "cat", "dog"}));
  EXPECT_EQ(inferred.labels, (std::vector<std::int32_t>{1, 2, 0}));
  EXPECT_EQ(inferred.num_classes, 3);
  write("a,label\n1,0\n2,cat\n");
  EXPECT_EQ(error_of(), fmt::format("{}:3: label 'cat' is a name, but the labels above it are numbers; list the classes in the data section's "
                                    "class_names to read them all as names", path_.string()));
  write("a,b,label\n1,,0\n");
  EXPECT_EQ(error_of(), fmt::format("{}:2: column 2 is empty: a missing value, which nnplug {}", path_.string(), kFillHint));
  write("a,label,\n1,0,\n");  // a delimiter ending every line: an empty column without a name
  EXPECT_EQ(error_of(std::string("label")),
            fmt::format("{}:2: column 3 is empty and the header gives it no name: the column a delimiter at the end of every line makes; the data "
                        "section's \"drop_columns\": [2] leaves it out",
                        path_.string()));
  write("a,b,label\n1,2,0\n1,NA,0\n");  // pandas' missing values by name are not read as NaN, nor as words
  EXPECT_EQ(error_of(), fmt::format("{}:3: column 2 ('NA') is a missing value, as pandas reads it, which nnplug {}", path_.string(), kFillHint));
  write("a;b;label\n1;2;0\n");
  EXPECT_EQ(error_of(), fmt::format("{}:1: needs at least one feature and a label (the line is one field: separated by \";\"? set the data section's \"delimiter\": \";\")",
                                    path_.string()));
  // pandas' to_csv() without index=False: an unnamed first column of row numbers (after read_csv and to_csv again,
  // named "Unnamed: 0").
  const std::string index_error = fmt::format("{}: the first column has no name and holds the row numbers 0, 1, 2, ...: pandas' index, which "
                                              "to_csv() writes unless given index=False; it would be trained on as a feature, so drop it "
                                              "(to_csv(index=False), or cut -d, -f2-)", path_.string());
  for (const char* name : {"", "\"\"", "Unnamed: 0"}) {
    write(fmt::format("{},a,label\n0,1.5,1\n1,2.5,0\n2,3.5,1\n", name));
    EXPECT_EQ(error_of(), index_error) << name;
  }
  // An unnamed column of other values is a feature like any other.
  write(",a,label\n0,1.5,1\n2,2.5,0\n");
  EXPECT_EQ(read_csv(path_).x, (std::vector<float>{0, 1.5f, 2, 2.5f}));
}

TEST_F(CsvTest, AFloat64ModelGetsTheValuesParsedInDouble) {
  write("0.1,1e-300,1\n");
  EXPECT_EQ(read_csv(path_, -1, 0, DType::Float64).x, (std::vector<double>{0.1, 1e-300}));
  EXPECT_EQ(read_csv(path_).x, (std::vector<float>{0.1f, 0.0f}));  // 1e-300 is 0 in float32
}

TEST_F(CsvTest, BadRowsNameFileAndLine) {
  write("1,2,0\n3,4\n");
  EXPECT_EQ(error_of(), fmt::format("{}:2: 2 fields, the first row has 3", path_.string()));
  write("1,2,0\n3,x,1\n");
  EXPECT_EQ(error_of(), fmt::format("{}:2: column 2 ('x') is not a number{}", path_.string(), kCategoriesHint));
  write("1,2,0\n3,4,1.5\n");
  EXPECT_EQ(error_of(), fmt::format("{}:2: label '1.5' is not a class index (a non-negative integer); to regress on the column's values, name "
                                    "it in the data section's \"targets\" in place of \"label_column\"", path_.string()));
  EXPECT_EQ(error_of(7), fmt::format("{}: label column 7 does not exist in 3 columns", path_.string()));
  write("1,2,0\n3,nan,1\n");
  EXPECT_EQ(error_of(), fmt::format("{}:2: column 2 ('nan') is a missing value, as pandas reads it, which nnplug {}", path_.string(), kFillHint));
  write("1,2,0\n3,NAN,1\n");  // not one of pandas' words: parsed as a number, NaN
  EXPECT_EQ(error_of(), fmt::format("{}:2: column 2 ('NAN') is not a finite float32 value", path_.string()));
  write("1,-inf,0\n");
  EXPECT_EQ(error_of(), fmt::format("{}:1: column 2 ('-inf') is not a finite float32 value", path_.string()));
  write("1e39,2,0\n");  // finite in double, infinite in float32
  EXPECT_EQ(error_of(), fmt::format("{}:1: column 1 ('1e39') is not a finite float32 value", path_.string()));
}

TEST_F(CsvTest, WithoutShufflingOrASplitTheTrainingSetKeepsTheFilesOrder) {
  std::string rows;
  for (int i = 0; i < 50; ++i) rows += fmt::format("{},{}\n", i, i % 2);
  write(rows);
  const auto spec_for = [&](const char* training, const char* split) {
    return parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}"{}}}, "layers": [{{"type": "dense", "units": 2}}],
                                       "loss": "softmax_cross_entropy", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {}}})",
                                  path_.string(), split, training),
                      path_.parent_path() / "spec.json");
  };
  std::vector<float> in_order(50);
  std::iota(in_order.begin(), in_order.end(), 0.0f);
  EXPECT_EQ(build_experiment(spec_for(R"({"shuffle": false})", ""), registry()).train.x, in_order);
  // Shuffling, or a split, draws the samples in a seeded random order.
  EXPECT_NE(build_experiment(spec_for("{}", ""), registry()).train.x, in_order);
  const auto split = build_experiment(spec_for(R"({"shuffle": false})", R"(, "validation_split": 0.2)"), registry());
  EXPECT_EQ(split.train.size(), 40);
  const auto drawn = split.train.x.doubles();
  EXPECT_FALSE(std::is_sorted(drawn.begin(), drawn.end()));
}

TEST_F(CsvTest, ASpecNamesTheLabelColumnByIndexOrByName) {
  write("label,x\n1,10\n0,20\n");
  const auto spec_with = [&](const char* column) {
    return parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "label_column": {}}}, "layers": [{{"type": "dense", "units": 2}}],
                                       "loss": "softmax_cross_entropy", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                  path_.string(), column),
                      path_.parent_path() / "spec.json");
  };
  for (const char* column : {"0", "-2", "\"label\""}) {
    const Experiment ex = build_experiment(spec_with(column), registry());
    EXPECT_EQ(ex.train.labels, (std::vector<std::int32_t>{1, 0})) << column;
    EXPECT_EQ(ex.train.x, (std::vector<float>{10, 20})) << column;
  }
  try {
    build_experiment(spec_with("[0]"), registry());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}: data: parameter 'label_column' must be a column's index (negative counts from the end) or its "
                                                  "name in the header, got [0]", (path_.parent_path() / "spec.json").string()));
  }
  // Labels by name, through class_names; a name listed twice would make a label ambiguous.
  write("label,x\nyes,10\nno,20\n");
  Spec named = spec_with("\"label\"");
  named.set(R"(data.class_names=["no", "yes"])");
  EXPECT_EQ(build_experiment(named, registry()).train.labels, (std::vector<std::int32_t>{1, 0}));
  named.set(R"(data.class_names=["no", "yes", "no"])");
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(named, registry()); }),
            fmt::format("{}: data: parameter 'class_names' names \"no\" twice", (path_.parent_path() / "spec.json").string()));
}

// A test file whose columns come in another order than the training file's is read by their names, as the model
// was trained; one that lacks a feature is refused before training.
// Columns of categories are one-hot encoded in their places, a column per category, as scikit-learn's OneHotEncoder
// orders them: sorted, by value where each is a number (1, 3, 10, not the strings' 1, 10, 3).
TEST_F(CsvTest, CategoricalColumnsAreOneHotEncodedInTheirPlaces) {
  CsvLayout layout(std::string("label"));
  layout.categorical_columns = {std::string("sex"), std::string("pclass")};
  write("pclass,sex,age,label\n3,male,22,0\n1,female,38,1\n10,female,26,1\n");
  const Dataset d = read_csv(path_, layout);
  EXPECT_EQ(d.x, (std::vector<float>{0, 1, 0, 0, 1, 22, 1, 0, 0, 1, 0, 38, 0, 0, 1, 1, 0, 26}));
  EXPECT_EQ(d.sample_shape, Shape{6});
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 1}));
  const ColumnNames trained{{"pclass", "sex", "age"}, "label", {}, {}, {{"1", "3", "10"}, {"female", "male"}, {}}};
  EXPECT_EQ(d.column_names, trained);
  EXPECT_EQ(trained.width(), 6);

  // Inputs to predict: encoded by the trained categories, by name in any order, or by place without a header.
  layout.trained = trained;
  write("age,sex,pclass\n40,male,10\n");
  EXPECT_EQ(read_csv(path_, layout, 6).x, (std::vector<float>{0, 0, 1, 0, 1, 40}));
  write("10,male,40\n");
  EXPECT_EQ(read_csv(path_, layout, 6).x, (std::vector<float>{0, 0, 1, 0, 1, 40}));
  write("age,sex,pclass\n40,male,10\n5,other,1\n");
  EXPECT_EQ(error_of(layout, 6),
            fmt::format("{}:3: 'other' in column 2 (sex) is none of the categories the model was trained on for it (female, male); the data "
                        "section's \"handle_unknown\": \"ignore\" reads such a value as a row of zeros",
                        path_.string()));
  // As scikit-learn's OneHotEncoder(handle_unknown="ignore"): such a value is none of the categories, all zeros.
  CsvLayout ignoring = layout;
  ignoring.ignore_unknown_categories = true;
  EXPECT_EQ(read_csv(path_, ignoring, 6).x, (std::vector<float>{0, 0, 1, 0, 1, 40, 1, 0, 0, 0, 0, 5}));
  // "categorical": "auto": the columns that hold words, as pandas' get_dummies finds them; pclass is of numbers, and
  // a missing value (NA) is no word.
  CsvLayout words(std::string("label"));
  words.categorical_words = words.missing_as_nan = true;
  write("pclass,sex,age,label\n3,male,22,0\n1,female,NA,1\n10,female,26,1\n");
  const Dataset found = read_csv(path_, words);
  std::vector<double> x = found.x.doubles();
  EXPECT_TRUE(std::isnan(x[7]));
  x[7] = -1;  // the missing age, which the preprocessing fills
  EXPECT_EQ(x, (std::vector<double>{3, 0, 1, 22, 1, 1, 0, -1, 10, 1, 0, 26}));
  EXPECT_EQ(found.column_names.categories, (std::vector<std::vector<std::string>>{{}, {"female", "male"}, {}}));
  CsvLayout last_label(-1);
  last_label.trained = trained;
  write("10,male,40,2,0\n");
  EXPECT_EQ(error_of(last_label, 6), fmt::format("{}:1: 4 feature columns; the model was trained on 3", path_.string()));

  // Without a header, by index (its first line is data, though its first field is a word); the categories are kept
  // though no names are.
  CsvLayout by_place(-1);
  by_place.categorical_columns = {std::int64_t{0}};
  write("b,1.5,0\na,2,1\n");
  const Dataset unnamed = read_csv(path_, by_place);
  EXPECT_EQ(unnamed.x, (std::vector<float>{0, 1, 1.5f, 1, 0, 2}));
  EXPECT_EQ(unnamed.column_names, (ColumnNames{{}, "", {}, {}, {{"a", "b"}, {}}}));
  CsvLayout unnamed_model;
  unnamed_model.trained = unnamed.column_names;
  write("b,7\n");
  EXPECT_EQ(read_csv(path_, unnamed_model, 3).x, (std::vector<float>{0, 1, 7}));
}

// pandas' drop(columns=...): dropped columns are not read, whatever they hold; an id column names each sample.
TEST_F(CsvTest, DroppedColumnsAreNotReadAndAnIdColumnNamesTheSamples) {
  CsvLayout layout(std::string("label"));
  layout.drop_columns = {std::string("Name")};
  layout.id_column = std::string("PassengerId");
  write("PassengerId,Name,age,label\n7,\"Braund, Mr.\",22,0\n8,,38,1\n");
  const Dataset d = read_csv(path_, layout);
  EXPECT_EQ(d.x, (std::vector<float>{22, 38}));
  EXPECT_EQ(d.sample_names, (std::vector<std::string>{"7", "8"}));
  EXPECT_EQ(d.sample_names_column, "PassengerId");
  EXPECT_EQ(d.column_names, (ColumnNames{{"age"}, "label"}));
  layout.trained = d.column_names;  // inputs to predict may lack both
  write("age\n30\n");
  const Dataset inputs = read_csv(path_, layout, 1);
  EXPECT_EQ(inputs.x, (std::vector<float>{30}));
  EXPECT_TRUE(inputs.sample_names.empty());

  CsvLayout by_place(-1);
  by_place.id_column = std::int64_t{0};
  write("7,22,0\n");
  EXPECT_EQ(read_csv(path_, by_place).sample_names_column, "id");
  by_place.drop_columns = {std::int64_t{-1}};
  EXPECT_EQ(error_of(by_place), fmt::format("{}: column 3 is the label and cannot be dropped", path_.string()));
  by_place.drop_columns = {std::int64_t{1}};
  EXPECT_EQ(error_of(by_place), fmt::format("{}:1: needs at least one feature beside the label and the dropped columns", path_.string()));
}

// A European spreadsheet's CSV: semicolons between fields and decimal commas (pandas' sep=";", decimal=",").
TEST_F(CsvTest, DecimalCommasAreReadWhereTheLayoutSaysSo) {
  write("a;b;label\n1,5;-2,25;0\n3;4e-1;1\n");
  CsvLayout layout;
  layout.delimiter = ';';
  EXPECT_EQ(error_of(layout), fmt::format("{}:2: column 1 ('1,5') is not a number; a decimal comma? set the data section's \"decimal\": \",\"",
                                          path_.string()));
  layout.decimal = ',';
  EXPECT_EQ(read_csv(path_, layout).x, (std::vector<float>{1.5f, -2.25f, 3.0f, 0.4f}));
  // Excel's "Unicode Text" is UTF-16, whose every other byte is 0: named, not read as garbled numbers.
  write(std::string("\xFF\xFE" "a\0,\0b\0\n\0", 10));  // ten bytes: the BOM, then "a,b\n" in UTF-16LE
  EXPECT_EQ(error_of(), fmt::format("{}: the file is UTF-16 text (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\", or convert it: iconv -f "
                                    "UTF-16 -t UTF-8", path_.string()));
}

TEST_F(CsvTest, WordsOutsideCategoricalColumnsAndCategoriesThatCannotBeAreRefused) {
  write("pclass,sex,label\n3,male,0\n");
  EXPECT_EQ(error_of(std::string("label")), fmt::format("{}:2: column 2 ('male') is not a number{}", path_.string(), kCategoriesHint));
  CsvLayout layout(std::string("label"));
  layout.categorical_columns = {std::string("label")};
  EXPECT_EQ(error_of(layout),
            fmt::format("{}: column 3 is the label (labels by name are numbered as classes), not a feature, and cannot be categorical",
                        path_.string()));
  layout.categorical_columns = {std::string("sex"), std::int64_t{-2}};
  EXPECT_EQ(error_of(layout), fmt::format("{}: column 2 is named twice among the categorical columns", path_.string()));
  std::string ids = "id,x,label\n";
  for (int i = 0; i <= 10000; ++i) ids += fmt::format("p{},1,0\n", i);
  write(ids);
  layout.categorical_columns = {std::string("id")};
  EXPECT_EQ(error_of(layout), fmt::format("{}:10002: column 1 has more than 10000 categories: an identifier or free text rather than categories; "
                                          "drop it from the data section's \"categorical\"", path_.string()));
}

TEST_F(CsvTest, ASpecsTestFileIsReadByTheTrainingFilesColumnNames) {
  write("a,b,label\n1,2,0\n3,4,1\n");
  const fs::path test = path_.parent_path() / fmt::format("nnplug_csv_test_{}.csv", ::getpid());
  std::ofstream(test) << "label,b,a\n1,20,10\n0,40,30\n";
  const Spec spec = parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "test_path": "{}"}}, "layers": [{{"type": "dense", "units": 2}}],
                                               "loss": "softmax_cross_entropy", "optimizer": {{"type": "sgd", "lr": 0.1}}}})",
                                           path_.string(), test.string()),
                               path_.parent_path() / "spec.json");
  const Experiment ex = build_experiment(spec, registry());
  EXPECT_EQ(ex.test.x, (std::vector<float>{10, 20, 30, 40}));
  EXPECT_EQ(ex.test.labels, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(ex.model->column_names(), (ColumnNames{{"a", "b"}, "label"}));
  std::ofstream(test) << "label,b\n1,20\n";
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec, registry()); }),
            fmt::format("{}:1: no column is named 'a', a feature the model was trained on (a, b); the header names label, b", test.string()));
  fs::remove(test);
}

TEST_F(CsvTest, ValueTargetsAreTheNamedColumnsInTheGivenOrder) {
  write("a,price,b,tag\n1,2.5,3,1\n4,-0.25,6,0\n");
  CsvLayout columns;
  columns.target_columns = {std::string("tag"), std::int64_t{1}};  // by name and by index, in this order
  const Dataset d = read_csv(path_, columns);
  EXPECT_EQ(d.x, (std::vector<float>{1, 3, 4, 6}));
  EXPECT_EQ(d.sample_shape, (Shape{2}));
  EXPECT_EQ(d.target_width, 2);
  EXPECT_EQ(d.targets, (std::vector<float>{1, 2.5f, 0, -0.25f}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{-1, -1}));
  EXPECT_EQ(d.num_classes, 0);
  // A subset keeps each sample's targets with it.
  const Dataset second = d.subset({1});
  EXPECT_EQ(second.targets, (std::vector<float>{0, -0.25f}));
  EXPECT_EQ(second.target_width, 2);
  // Rows of the features alone are samples to predict: no targets.
  write("a,b\n7,8\n");
  const Dataset inputs = read_csv(path_, columns, 2);
  EXPECT_FALSE(inputs.has_value_targets());
  EXPECT_EQ(inputs.x, (std::vector<float>{7, 8}));
}

TEST_F(CsvTest, BadValueTargetsAreNamed) {
  CsvLayout columns;
  columns.target_columns = {std::string("price")};
  write("a,b\n1,2\n");
  EXPECT_EQ(error_of(columns), fmt::format("{}:1: no column is named 'price' (the header names a, b)", path_.string()));
  write("a,price\n1,x\n");
  EXPECT_EQ(error_of(columns), fmt::format("{}:2: column 2 ('x') is not a number", path_.string()));
  write("a,price\n1,1e39\n");  // targets are held in float32, whatever the features' dtype
  EXPECT_EQ(error_of(columns), fmt::format("{}:2: column 2 ('1e39') is not a finite float32 value", path_.string()));
  columns.target_columns = {std::int64_t{0}, std::int64_t{1}};
  EXPECT_EQ(error_of(columns), fmt::format("{}:1: needs at least one feature and the 2 target columns", path_.string()));
  columns.target_columns = {std::int64_t{5}};
  EXPECT_EQ(error_of(columns), fmt::format("{}: target column 5 does not exist in 2 columns", path_.string()));
  write("a,b,price\n1,2,3\n");
  columns.target_columns = {std::int64_t{2}, std::string("price")};
  EXPECT_EQ(error_of(columns), fmt::format("{}: column 3 is named twice among the targets", path_.string()));
}

TEST_F(CsvTest, ASpecNamesValueTargetsAndALossThatScoresThem) {
  write("x,y\n1,2\n2,4\n3,6\n");
  const auto spec_with = [&](const char* targets, const char* loss, int units) {
    return parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "targets": {}}}, "layers": [{{"type": "dense", "units": {}}}],
                                       "loss": "{}", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                  path_.string(), targets, units, loss),
                      path_.parent_path() / "spec.json");
  };
  const std::string where = (path_.parent_path() / "spec.json").string();
  for (const char* targets : {"\"y\"", "[\"y\"]", "-1", "[1]"}) {
    const Experiment ex = build_experiment(spec_with(targets, "mse", 1), registry());
    EXPECT_EQ(ex.train.targets, (std::vector<float>{2, 4, 6})) << targets;
    EXPECT_EQ(ex.train.x, (std::vector<float>{1, 2, 3})) << targets;
  }
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec_with("\"y\"", "softmax_cross_entropy", 1), registry()); }),
            fmt::format("{}: loss softmax_cross_entropy scores class labels, but the data's targets are 1 value per sample (data.targets); choose "
                        "a loss of values (mse, mae, huber, log_cosh, poisson, binary_cross_entropy, multilabel_sigmoid), or for class probabilities "
                        "softmax_cross_entropy with \"targets\": \"probabilities\" or kl_divergence", where));
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec_with("\"y\"", "mse", 2), registry()); }),
            fmt::format("{}: the model outputs 2 values per sample ([2]), but the data has 1 target value per sample", where));
  // A loss of probabilities needs targets in [0, 1].
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec_with("\"y\"", "binary_cross_entropy", 1), registry()); }),
            fmt::format("{}: loss binary_cross_entropy scores labels (0 or 1, or a probability between), so its targets are in [0, 1], but target 0 of sample 0 is 2 (its row in the data, counted from 0)", where));
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec_with("[]", "mse", 1), registry()); }),
            fmt::format("{}: data: parameter 'targets' names no column", where));
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec_with("[1.5]", "mse", 1), registry()); }),
            fmt::format("{}: data: parameter 'targets' must be a column's index (negative counts from the end) or its name in the header, or "
                        "a list of them, got 1.5", where));
  Spec both = spec_with("\"y\"", "mse", 1);
  both.set("data.label_column=0");
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(both, registry()); }),
            fmt::format("{}: data: parameter 'targets' cannot be given with label_column: value targets take the place of the class label column", where));
}

TEST_F(CsvTest, FieldsMaySeparateBySemicolonsTabsOrRunsOfBlanks) {
  CsvLayout layout;
  for (const auto& [delimiter, text] : std::vector<std::pair<char, std::string>>{
           {';', "a;b;label\n1.5; 2;0\n-3;4;1\n"},
           {'\t', "a\tb\tlabel\n1.5\t2\t0\n-3\t 4\t1\n"},
           {CsvLayout::kWhitespace, "  1.5 2\t\t0\n-3    4 1   \r\n"}}) {  // scikit-learn's diabetes data, and R's write.table
    write(text);
    layout.delimiter = delimiter;
    const Dataset d = read_csv(path_, layout);
    EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.0f, -3.0f, 4.0f})) << text;
    EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1})) << text;
  }
  write("1.5;2;0\n");
  layout.delimiter = ';';
  EXPECT_EQ(read_csv(path_, layout).x, (std::vector<float>{1.5f, 2.0f}));
  layout.delimiter = '\t';  // a tab where the file has commas: one field, and a hint
  write("1,2,0\n");
  EXPECT_EQ(error_of(layout), fmt::format("{}:1: needs at least one feature and a label (the line is one field: separated by \",\"? set the "
                                          "data section's \"delimiter\": \",\")",
                                          path_.string()));
}

TEST_F(CsvTest, SkipRowsPassesOverLinesBeforeTheDataAndErrorsCountThem) {
  // scikit-learn's iris.csv starts with its sizes and class names, a line that is neither a header nor data.
  write("3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n6.2,x,1\n");
  EXPECT_EQ(error_of(), fmt::format("{}:1: column 3 ('setosa') is not a number", path_.string()));
  CsvLayout layout;
  layout.skip_rows = 1;
  EXPECT_EQ(error_of(layout), fmt::format("{}:4: column 2 ('x') is not a number{}", path_.string(), kCategoriesHint));
  write("3,2,setosa,versicolor\nlength,width,species\n5.1,3.5,0\n4.9,3.0,1\n");  // and a header after it
  const Dataset d = read_csv(path_, layout);
  EXPECT_EQ(d.x, (std::vector<float>{5.1f, 3.5f, 4.9f, 3.0f}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1}));
  layout.skip_rows = 4;
  EXPECT_EQ(error_of(layout), fmt::format("{}: no data rows", path_.string()));
}

TEST_F(CsvTest, ASpecNamesTheDelimiterAndTheRowsToSkip) {
  write("# a comment\n1 10 1\n2 20 0\n");
  Spec spec = parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "delimiter": "whitespace", "skip_rows": 1}},
                                          "layers": [{{"type": "dense", "units": 2}}], "loss": "softmax_cross_entropy",
                                          "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                     path_.string()),
                         path_.parent_path() / "spec.json");
  const Experiment ex = build_experiment(spec, registry());
  EXPECT_EQ(ex.train.x, (std::vector<float>{1, 10, 2, 20}));
  EXPECT_EQ(ex.train.labels, (std::vector<std::int32_t>{1, 0}));
  const std::string where = (path_.parent_path() / "spec.json").string();
  for (const char* bad : {R"(";;")", R"(" ")", R"("\"")"}) {
    spec.set(fmt::format("data.delimiter={}", bad));
    EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec, registry()); }),
              fmt::format("{}: data: parameter 'delimiter' must be one character such as \",\", \";\", \"\\t\" or \"|\" (not a quote or a line "
                          "break), or \"whitespace\" for runs of spaces and tabs; got {}",
                          where, bad));
  }
  spec.set(R"(data.delimiter=",")");
  spec.set(R"(data.decimal=",")");  // a comma cannot mark both
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec, registry()); }),
            fmt::format("{}: data: parameter 'decimal' must be \".\" or \",\", and not the delimiter (a comma decimal needs another, such as \";\"); "
                        "got \",\"", where));
}

TEST_F(CsvTest, DivideByScalesACsvFilesFeaturesAsIdxPixelsAreScaled) {
  // scikit-learn's 8x8 digits are counts 0 to 16: divided in float32, as torchvision divides bytes; labels and
  // the test file's features alike.
  write("3,16,1\n5,0,0\n");
  const auto spec_for = [&](const char* dtype) {
    return parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "test_path": "{}", "divide_by": 16}}, "dtype": "{}",
                                       "layers": [{{"type": "dense", "units": 2}}], "loss": "softmax_cross_entropy",
                                       "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                  path_.string(), path_.string(), dtype),
                      path_.parent_path() / "spec.json");
  };
  const Experiment ex = build_experiment(spec_for("float32"), registry());
  EXPECT_EQ(ex.train.x, (std::vector<float>{3.0f / 16.0f, 1.0f, 5.0f / 16.0f, 0.0f}));
  EXPECT_EQ(ex.test.x, ex.train.x);
  EXPECT_EQ(ex.train.labels, (std::vector<std::int32_t>{1, 0}));
  const Experiment ex64 = build_experiment(spec_for("float64"), registry());
  EXPECT_EQ(ex64.train.x, (std::vector<double>{3.0 / 16, 1.0, 5.0 / 16, 0.0}));
}

TEST(Synthetic, AFloat64ModelGetsTheValuesAsDrawnAndAFloat32OneThemRounded) {
  const auto spec_for = [](const char* dtype) {
    return parse_spec(fmt::format(R"({{"dtype": "{}", "data": {{"format": "xor_blobs", "samples": 100}},
                                       "layers": [{{"type": "dense", "units": 2}}], "loss": "softmax_cross_entropy",
                                       "optimizer": {{"type": "sgd", "lr": 0.1}}}})", dtype), "spec.json");
  };
  const auto wide = build_experiment(spec_for("float64"), registry()).train.x, narrow = build_experiment(spec_for("float32"), registry()).train.x;
  ASSERT_EQ(wide.dtype(), DType::Float64);
  ASSERT_EQ(narrow.dtype(), DType::Float32);
  std::size_t rounded = 0;
  for (std::size_t i = 0; i < wide.size(); ++i) {
    EXPECT_EQ(narrow[i], static_cast<double>(static_cast<float>(wide[i])));
    rounded += wide[i] != narrow[i];
  }
  EXPECT_GT(rounded, wide.size() / 2);  // normal draws are almost never float32 values
}

TEST(Splits, ThreeWaySplitIsSeededAndDisjoint) {
  const Dataset d = synthetic::spirals(100, 2, 1);
  const Splits s = split_three(d, 0.2, 0.1, 9);
  EXPECT_EQ(s.test.size(), 20);
  EXPECT_EQ(s.validation.size(), 40);  // fractions of all 200 samples
  EXPECT_EQ(s.train.size(), 140);
  EXPECT_EQ(split_three(d, 0.2, 0.1, 9).train.x, s.train.x);
  EXPECT_NE(split_three(d, 0.2, 0.1, 10).train.x, s.train.x);
  // Without a test share it is exactly the two-way split, so specs without test_split keep their runs.
  EXPECT_EQ(split_three(d, 0.2, 0.0, 9).train.x, split(d, 0.2, 9).first.x);
  EXPECT_EQ(split_three(d, 0.2, 0.0, 9).test.size(), 0);
}

// As scikit-learn's train_test_split(stratify=y): 80 samples of class 0 and 20 of class 1, interleaved. Each class
// loses 10 % to the test part (8 and 2), then 0.25 / 0.9 of the rest to validation (20 of 72, 5 of 18).
TEST(Splits, AStratifiedSplitGivesEachPartEachClassesShare) {
  std::vector<std::int32_t> labels(100);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = i % 5 == 0;
  const SplitRows rows = stratified_split_three_rows(labels, 0.25, 0.1, 3);
  const auto count = [&](const std::vector<std::int64_t>& part, std::int32_t label) {
    return std::ranges::count_if(part, [&](std::int64_t row) { return labels[static_cast<std::size_t>(row)] == label; });
  };
  EXPECT_EQ(count(rows.test, 0), 8);
  EXPECT_EQ(count(rows.test, 1), 2);
  EXPECT_EQ(count(rows.validation, 0), 20);
  EXPECT_EQ(count(rows.validation, 1), 5);
  EXPECT_EQ(count(rows.train, 0), 52);
  EXPECT_EQ(count(rows.train, 1), 13);
  std::vector<std::int64_t> all = rows.train;
  all.insert(all.end(), rows.validation.begin(), rows.validation.end());
  all.insert(all.end(), rows.test.begin(), rows.test.end());
  std::ranges::sort(all);
  std::vector<std::int64_t> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);  // every sample in one part
  EXPECT_FALSE(std::ranges::is_sorted(rows.train, {}, [&](std::int64_t row) { return labels[static_cast<std::size_t>(row)]; }));  // mixed
  EXPECT_EQ(stratified_split_three_rows(labels, 0.25, 0.1, 3).train, rows.train);
  EXPECT_NE(stratified_split_three_rows(labels, 0.25, 0.1, 4).train, rows.train);
}

TEST(Preprocessing, StandardizerUsesTrainingStatisticsOnly) {
  Dataset train, test;
  train.sample_shape = test.sample_shape = Shape{2};
  train.x = std::vector<float>{1, 10, 3, 30};  // means (2, 20), population stds (1, 10)
  train.labels = {0, 1};
  test.x = std::vector<float>{2, 40};
  test.labels = {0};
  Standardizer s(true, true, 0.0);
  s.fit(train);
  s.apply(test);
  EXPECT_EQ(test.x, (std::vector<float>{0.0f, 2.0f}));
  Standardizer centre(false, true);
  centre.fit(train);
  centre.apply(train);
  EXPECT_EQ(train.x, (std::vector<float>{-1, -10, 1, 10}));
}

// As scikit-learn's StandardScaler: a feature constant in training (0.1 three times, whose mean rounds) is centred and
// not scaled, so that a value training never saw stays of its size rather than of 1 / eps times it.
TEST(Preprocessing, AFeatureConstantInTrainingIsOnlyCentred) {
  Dataset train, test;
  train.sample_shape = test.sample_shape = Shape{2};
  train.x = std::vector<double>{0.1, 1, 0.1, 2, 0.1, 3};
  train.labels = {0, 1, 0};
  test.x = std::vector<double>{0.6, 2};
  test.labels = {0};
  Standardizer s(true, true);
  s.fit(train);
  s.apply(test);
  EXPECT_NEAR(test.x[0], 0.5, 1e-12);
  EXPECT_NEAR(test.x[1], 0.0, 1e-12);
}

TEST(Preprocessing, PerChannelStatisticsAreEachChannelsOverItsValuesAndSamples) {
  // Two samples of 2 channels of 2 values (flat, as load_data reads them; data.sample_shape gives the channels).
  // Channel 0 holds 1, 3, 5, 7: mean 4, population std sqrt(5); channel 1 holds 10, 10, 30, 30: mean 20, std 10.
  Dataset train;
  train.sample_shape = Shape{4};
  train.x = std::vector<double>{1, 3, 10, 10, 5, 7, 30, 30};
  train.labels = {0, 1};
  const Params data("spec.json: data", nlohmann::json::parse(R"({"standardize": "per_channel", "sample_shape": [2, 2, 1]})"));
  const InputPreprocessing steps = fit_input_preprocessing(data, train);
  const double eps = 1e-8;
  EXPECT_NEAR(train.x[0], (1 - 4) / (std::sqrt(5.0) + eps), 1e-12);
  EXPECT_NEAR(train.x[6], (30 - 20) / (10 + eps), 1e-12);
  // The same statistics for other samples, after a save and a load, and for samples already shaped (C, H, W).
  Dataset test;
  test.sample_shape = Shape{2, 2, 1};
  test.x = std::vector<double>{4, 4 + std::sqrt(5.0), 0, 40};
  test.labels = {0};
  InputPreprocessing::from_json(steps.to_json(), 4).apply(test);
  EXPECT_NEAR(test.x[1], std::sqrt(5.0) / (std::sqrt(5.0) + eps), 1e-12);
  EXPECT_NEAR(test.x[2], -20 / (10 + eps), 1e-12);
  Dataset shaped;
  shaped.sample_shape = Shape{2, 2, 1};
  shaped.x = std::vector<double>{1, 3, 10, 10, 5, 7, 30, 30};
  shaped.labels = {0, 1};
  fit_input_preprocessing(Params("spec.json: data", nlohmann::json::parse(R"({"standardize": "per_channel"})")), shaped);
  EXPECT_EQ(shaped.x, train.x);
  // Without channels there is nothing to take per channel; a saved channel size needs per-feature statistics.
  Dataset flat = shaped;
  flat.sample_shape = Shape{4};
  EXPECT_EQ(error_of([&] { fit_input_preprocessing(Params("spec.json: data", nlohmann::json::parse(R"({"standardize": "per_channel"})")), flat); }),
            "spec.json: data: parameter 'standardize' \"per_channel\" needs samples of channels (C, H, W, as NCHW images are): give "
            "data.sample_shape, such as [3, 32, 32], that holds these samples' 4 values");
  auto saved = steps.to_json();
  saved[0]["per_feature"] = false;
  EXPECT_EQ(error_of([&] { InputPreprocessing::from_json(saved, 4); }), "step 0: 'channel_size' is given, but 'per_feature' is false");
  EXPECT_EQ(error_of([&] { InputPreprocessing::from_json(steps.to_json(), 6); }), "the steps give 4 features, the model takes 6");
}

TEST(Preprocessing, PcaFindsTheCovarianceEigenvalues) {
  // Points (t, 2t) + (s, -s/2) spread along two orthogonal directions with known variances.
  Dataset d;
  d.sample_shape = Shape{2};
  Random random(4);
  for (int i = 0; i < 20000; ++i) {
    const double t = random.normal(0, 3), s = random.normal(0, 0.5);
    d.x.push_back(static_cast<float>(t + s)), d.x.push_back(static_cast<float>(2 * t - s / 2));
    d.labels.push_back(0);
  }
  Pca pca(1, "none");
  pca.fit(d);
  // Var along (1, 2)/sqrt5 is 9 * 5 = 45; along (2, -1)/sqrt5 it is 0.25 * 1.25 = 0.3125.
  EXPECT_NEAR(pca.eigenvalues()[0], 45.0, 45.0 * 0.05);
  EXPECT_NEAR(pca.eigenvalues()[1], 0.3125, 0.3125 * 0.05);
  Dataset projected = d;
  pca.apply(projected);
  EXPECT_EQ(projected.sample_shape, (Shape{1}));
  EXPECT_NEAR(moments(projected).second[0], pca.eigenvalues()[0], 1e-3 * pca.eigenvalues()[0]);
}

TEST(Preprocessing, PcaAndZcaWhiteningGiveIdentityCovariance) {
  const Dataset blobs = synthetic::gaussian_blobs(3000, 3, 3, 2.0, 5);
  for (const char* whiten : {"pca", "zca"}) {
    Dataset d = blobs;
    Pca pca(3, whiten, 0.0);
    pca.fit(d);
    pca.apply(d);
    const auto n = static_cast<std::size_t>(d.size());
    for (std::size_t a = 0; a < 3; ++a)
      for (std::size_t b = 0; b < 3; ++b) {
        double c = 0;
        for (std::size_t i = 0; i < n; ++i) c += d.x[i * 3 + a] * d.x[i * 3 + b];
        EXPECT_NEAR(c / static_cast<double>(n), a == b ? 1.0 : 0.0, 1e-3) << whiten << " " << a << "," << b;
      }
  }
}

TEST(Preprocessing, OneHot) {
  EXPECT_EQ(one_hot({2, 0}, 3), (std::vector<float>{0, 0, 1, 1, 0, 0}));
  EXPECT_THROW(one_hot({3}, 3), InvalidArgument);
}

}  // namespace
}  // namespace nnplug::test
