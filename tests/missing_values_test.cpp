// Missing values: a CSV file's empty fields and pandas' NA words read as NaN where the data section names
// fill_missing, and filled per feature by the training set's mean, median, most frequent value or a constant, as
// scikit-learn's SimpleImputer fills them (the expected fills are worked by hand).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/preprocessing.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Four samples of four features: the first with values 1, 3, 10 and one missing; the second 2, 2, 5; the third
// missing everywhere; the fourth two 4s and two 7s.
Dataset with_gaps() {
  Dataset d;
  d.x = SampleValues(std::vector<double>{1, 2, kNaN, 4, kNaN, 2, kNaN, 7, 3, kNaN, kNaN, 4, 10, 5, kNaN, 7});
  d.sample_shape = Shape{4};
  d.labels.assign(4, 0);
  d.num_classes = 1;
  return d;
}

std::vector<double> fills(const std::string& strategy, double constant = 0) {
  MissingValueFiller filler(strategy, constant);
  filler.fit(with_gaps());
  return filler.values();
}

TEST(MissingValues, EachFeatureIsFilledByItsStatisticOfTheValuesThere) {
  const std::vector<double> mean = fills("mean");
  ASSERT_EQ(mean.size(), 4u);
  EXPECT_DOUBLE_EQ(mean[0], 14.0 / 3);
  EXPECT_DOUBLE_EQ(mean[1], 3.0);
  EXPECT_EQ(mean[2], 0.0);  // never there: 0, as SimpleImputer's keep_empty_features fills it
  EXPECT_DOUBLE_EQ(mean[3], 5.5);
  EXPECT_EQ(fills("median"), (std::vector<double>{3, 2, 0, 5.5}));         // 5.5: the middle two of 4, 4, 7, 7
  EXPECT_EQ(fills("most_frequent"), (std::vector<double>{1, 2, 0, 4}));    // ties: the smallest
  EXPECT_EQ(fills("constant", -1), (std::vector<double>{-1, -1, -1, -1}));
  EXPECT_THROW(MissingValueFiller("mode"), InvalidArgument);

  MissingValueFiller filler("median");
  filler.fit(with_gaps());
  Dataset d = with_gaps();
  filler.apply(d);
  EXPECT_EQ(d.x.doubles(), (std::vector<double>{1, 2, 0, 4, 3, 2, 0, 7, 3, 2, 0, 4, 10, 5, 0, 7}));
  const MissingValueFiller saved = MissingValueFiller::from_json(filler.to_json());
  EXPECT_EQ(saved.values(), filler.values());
}

class MissingCsvValues : public ::testing::Test {
 protected:
  void SetUp() override {
    train_ = fs::temp_directory_path() / fmt::format("nnplug_missing_{}.csv", ::getpid());
    test_ = fs::temp_directory_path() / fmt::format("nnplug_missing_test_{}.csv", ::getpid());
  }
  void TearDown() override {
    fs::remove(train_);
    fs::remove(test_);
  }
  Spec spec(const std::string& fill, const std::string& more = "") const {
    return parse_spec(fmt::format(R"({{"data": {{"format": "csv", "path": "{}", "test_path": "{}", "label_column": "label", "fill_missing": {}{}}},
                                       "layers": [{{"type": "dense", "units": 2}}], "loss": "softmax_cross_entropy",
                                       "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                  train_.string(), test_.string(), fill, more),
                      train_.parent_path() / "spec.json");
  }
  fs::path train_, test_;
};

// The training file's gaps and the test file's are filled by the training set's statistics; a categorical column's
// gap is none of its categories.
TEST_F(MissingCsvValues, GapsAreFilledByTheTrainingSetsStatistics) {
  std::ofstream(train_) << "age,fare,port,label\n20,,S,0\nNA,3,C,1\n40,5,,0\n";
  std::ofstream(test_) << "age,fare,port,label\n,,C,1\nnan,1,S,0\n";
  const Experiment ex = build_experiment(spec(R"("mean")", R"(, "categorical": ["port"])"), registry());
  // age: the mean of 20 and 40; fare: of 3 and 5; port: C or S
  EXPECT_EQ(ex.train.x, (std::vector<float>{20, 4, 0, 1, 30, 3, 1, 0, 40, 5, 0, 0}));
  EXPECT_EQ(ex.test.x, (std::vector<float>{30, 4, 1, 0, 30, 1, 0, 1}));
  EXPECT_EQ(build_experiment(spec("7", R"(, "categorical": ["port"])"), registry()).test.x.doubles().front(), 7.0);
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec(R"("mode")", R"(, "categorical": ["port"])"), registry()); }),
            fmt::format(R"({}: data: parameter 'fill_missing' must be "mean", "median" or "most_frequent" (scikit-learn's SimpleImputer )"
                        R"(strategies), or a number to fill with; got "mode")", (train_.parent_path() / "spec.json").string()));
  // Such values are refused before the data is read: a training file that is not there is not the first complaint.
  fs::remove(train_);
  EXPECT_THAT(nnplug::test::error_of([&] { build_experiment(spec("true"), registry()); }),
              ::testing::EndsWith("parameter 'fill_missing' must be \"mean\", \"median\" or \"most_frequent\" (scikit-learn's SimpleImputer "
                                  "strategies), or a number to fill with; got true"));
  EXPECT_THAT(nnplug::test::error_of([&] { build_experiment(spec(R"("mean")", R"(, "standardize": "z")"), registry()); }),
              ::testing::EndsWith(R"(parameter 'standardize' must be "none", "per_feature", "per_channel" or "scalar", got "z")"));
  // A categorical column that is missing everywhere has no category to encode.
  std::ofstream(train_) << "age,fare,port,label\n20,1,,0\n30,2,NA,1\n";
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec(R"("mean")", R"(, "categorical": ["port"])"), registry()); }),
            fmt::format("{}: column 3 (port) is categorical, but every value of it is missing", train_.string()));
  // A label cannot be filled.
  std::ofstream(train_) << "age,label\n20,\n30,1\n";
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec(R"("mean")"), registry()); }),
            fmt::format("{}:2: column 2 is empty: a missing value, which nnplug does not fill in a label or a target; fill or drop it first",
                        train_.string()));
}

// A test file that lacks the label column altogether, as a competition's test.csv does, is refused before training,
// not scored against labels it does not have.
TEST_F(MissingCsvValues, ATestFileWithoutItsLabelColumnIsRefusedBeforeTraining) {
  std::ofstream(train_) << "age,fare,label\n20,1,0\n30,2,1\n";
  std::ofstream(test_) << "age,fare\n25,3\n";
  EXPECT_EQ(nnplug::test::error_of([&] { build_experiment(spec(R"("mean")"), registry()); }),
            fmt::format("{}: data: parameter 'test_path' names {}, which has no label column ('label') to score the test set against; to "
                        "predict its samples, leave test_path out and give the file to `nnplug predict MODEL --input`",
                        (train_.parent_path() / "spec.json").string(), test_.string()));
}

}  // namespace
}  // namespace nnplug::test
