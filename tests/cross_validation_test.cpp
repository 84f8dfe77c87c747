// k-fold cross-validation: the folds partition the samples, stratified by class; each fold's model is trained on
// the other folds with preprocessing fitted on them only, and scored on its own; the spec's test set stays out.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "nnplug/framework/cross_validation.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// 23 samples of one feature (its index): 10 of class 0, 7 of class 1, 6 of class 2.
Dataset labelled() {
  Dataset d;
  d.sample_shape = Shape{1};
  std::vector<float> x;
  for (int i = 0; i < 23; ++i) x.push_back(static_cast<float>(i)), d.labels.push_back(i < 10 ? 0 : i < 17 ? 1 : 2);
  d.x = SampleValues(std::move(x));
  d.num_classes = 3;
  return d;
}

TEST(CrossValidation, FoldsPartitionTheSamplesAndHoldEveryClassInProportion) {
  const Dataset d = labelled();
  const auto folds = fold_indices(d, 4, 7);
  ASSERT_EQ(folds.size(), 4u);
  std::multiset<std::int64_t> seen;
  for (const auto& fold : folds) {
    EXPECT_TRUE(fold.size() == 5 || fold.size() == 6) << fold.size();
    seen.insert(fold.begin(), fold.end());
    std::map<int, int> per_class;
    for (const auto i : fold) ++per_class[d.labels[static_cast<std::size_t>(i)]];
    // 10, 7 and 6 samples over 4 folds: 2 or 3 of class 0, 1 or 2 of classes 1 and 2.
    EXPECT_TRUE(per_class[0] == 2 || per_class[0] == 3);
    EXPECT_TRUE(per_class[1] == 1 || per_class[1] == 2);
    EXPECT_TRUE(per_class[2] == 1 || per_class[2] == 2);
  }
  std::multiset<std::int64_t> all;
  for (std::int64_t i = 0; i < 23; ++i) all.insert(i);
  EXPECT_EQ(seen, all);  // each sample in exactly one fold
  EXPECT_EQ(fold_indices(d, 4, 7), folds);  // seeded
  EXPECT_NE(fold_indices(d, 4, 8), folds);
  EXPECT_EQ(error_of([&] { fold_indices(d, 1, 7); }), "cross-validation needs at least 2 folds, got 1");
  EXPECT_EQ(error_of([&] { fold_indices(d, 24, 7); }), "24 folds cannot be made of 23 samples: each fold needs one at least");
}

class CrossValidationRun : public ScratchFolderTest {
 protected:
  CrossValidationRun() : ScratchFolderTest("cross_validation") {}
};

TEST_F(CrossValidationRun, EachFoldTrainsOnTheOthersWithTheirPreprocessingAndTheTestSetStaysOut) {
  // Class 1 where x > 50: one feature, separable; values 0 to 99, so that a fold's mean is not the others'.
  std::ofstream csv(dir_ / "data.csv");
  csv << "x,label\n";
  for (int i = 0; i < 100; ++i) csv << i << "," << (i > 50) << "\n";
  csv.close();
  const Spec spec = parse_spec(R"({"seed": 3, "data": {"format": "csv", "path": "data.csv", "standardize": "per_feature", "test_split": 0.2,
                                    "validation_split": 0.1},
                                   "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy",
                                   "optimizer": {"type": "adam", "lr": 0.1}, "training": {"epochs": 60, "batch_size": 8},
                                   "callbacks": [{"type": "early_stopping", "monitor": "val_loss"}]})",
                               dir_ / "spec.json");
  std::set<float> held_out;  // every sample of the 80 outside the test split, once
  const auto results = cross_validate(spec, registry(), 4, {}, [&](const FoldResult& r, const Experiment& ex) {
    EXPECT_EQ(ex.train.size() + ex.test.size(), 80);  // the spec's test split stays out; its validation split is pooled
    // Standardized with the training folds' statistics: their mean is 0, the held-out fold's is not.
    double train_mean = 0, test_mean = 0;
    for (std::size_t i = 0; i < ex.train.x.size(); ++i) train_mean += ex.train.x[i] / static_cast<double>(ex.train.size());
    for (std::size_t i = 0; i < ex.test.x.size(); ++i) test_mean += ex.test.x[i] / static_cast<double>(ex.test.size());
    EXPECT_NEAR(train_mean, 0.0, 1e-5) << r.fold;
    EXPECT_GT(std::fabs(test_mean), 1e-3) << r.fold;
    // Raw values back from the saved statistics: x = z * std + mean.
    const auto stats = ex.model->input_preprocessing().to_json()[0];
    for (std::size_t i = 0; i < ex.test.x.size(); ++i)
      held_out.insert(static_cast<float>(std::round(ex.test.x[i] * (stats["std"][0].get<double>() + 1e-8) + stats["mean"][0].get<double>())));
  });
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(held_out.size(), 80u);
  for (const auto& r : results) {
    EXPECT_EQ(r.samples, 20);
    EXPECT_EQ(r.scores.kind, ScoreKind::Accuracy);
    EXPECT_GE(r.scores.score, 0.9) << r.fold;  // separable at one threshold
  }
}

// A text folder's vocabulary is fitted on each fold's training texts: a word that only a held-out text holds is out
// of its fold's vocabulary, and every training text's own word is in it.
TEST_F(CrossValidationRun, EachFoldFitsItsVocabularyOnItsTrainingTexts) {
  for (int i = 0; i < 12; ++i) {
    std::filesystem::create_directories(dir_ / "texts" / (i % 2 ? "pos" : "neg"));
    std::ofstream(dir_ / "texts" / (i % 2 ? "pos" : "neg") / fmt::format("{}.txt", i)) << fmt::format("shared only{}", i);
  }
  const Spec spec = parse_spec(R"({"seed": 3, "data": {"format": "text_folder", "path": "texts", "text": {"output_mode": "multi_hot"}},
                                   "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy", "optimizer": "adam",
                                   "training": {"epochs": 1}})",
                               dir_ / "spec.json");
  int folds = 0;
  cross_validate(spec, registry(), 3, {}, [&](const FoldResult& r, const Experiment& ex) {
    ++folds;
    const std::vector<std::string>& vocabulary = ex.text.vocabulary();
    const auto in_vocabulary = [&](const std::string& file) {
      return std::find(vocabulary.begin(), vocabulary.end(), "only" + std::filesystem::path(file).stem().string()) != vocabulary.end();
    };
    ASSERT_EQ(ex.train.sample_names.size(), 8u);
    for (const auto& file : ex.train.sample_names) EXPECT_TRUE(in_vocabulary(file)) << r.fold << " " << file;
    for (const auto& file : ex.test.sample_names) EXPECT_FALSE(in_vocabulary(file)) << r.fold << " " << file;
    EXPECT_EQ(ex.train.sample_shape, ex.text.sample_shape());
  });
  EXPECT_EQ(folds, 3);
}

}  // namespace
}  // namespace nnplug::test
