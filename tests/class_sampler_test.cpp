// Epochs drawn by class weights (PyTorch's WeightedRandomSampler): how often each class and each sample is drawn over
// many epochs against the weights' shares, draws without replacement as permutations of the samples of weight above
// 0, and a spec's sampler in training, resumed as an uninterrupted run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "nnplug/framework/class_sampler.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// `common` samples of class 0, then `rare` of class 1.
Dataset two_classes(std::int64_t common, std::int64_t rare) {
  Dataset d;
  d.sample_shape = Shape{1};
  d.num_classes = 2;
  for (std::int64_t i = 0; i < common + rare; ++i) d.labels.push_back(i < common ? 0 : 1);
  d.x = SampleValues(std::vector<double>(static_cast<std::size_t>(common + rare), 0.0));
  return d;
}

ClassSampling sampling(std::vector<double> weights = {}, std::int64_t samples = 0, bool replacement = true) {
  return {"test sampler", std::move(weights), samples, replacement};
}

// The share of class-1 samples over `epochs` epochs, and how many times each sample was drawn.
std::pair<double, std::map<std::int64_t, int>> draws(const ClassSampler& sampler, const Dataset& data, int epochs) {
  std::map<std::int64_t, int> times;
  double rare = 0.0, all = 0.0;
  for (int e = 1; e <= epochs; ++e)
    for (const std::int64_t i : sampler.order(e)) {
      ++times[i];
      rare += data.labels[static_cast<std::size_t>(i)] == 1;
      ++all;
    }
  return {rare / all, times};
}

// 90 samples of one class and 10 of another, balanced: each class half the draws, each of the 10 a twentieth (250 of
// 5,000 draws, a standard deviation of about 15), each of the 90 a hundred-and-eightieth.
TEST(ClassSampler, BalancedDrawsEachClassAsOftenAndEachSampleOfAClassAlike) {
  const Dataset data = two_classes(90, 10);
  const ClassSampler sampler(sampling(), data, 5);
  EXPECT_EQ(sampler.samples(), 100);
  const auto [share, times] = draws(sampler, data, 50);
  EXPECT_NEAR(share, 0.5, 0.03);
  for (std::int64_t i = 90; i < 100; ++i) EXPECT_NEAR(times.at(i), 250, 60) << "sample " << i;
  for (std::int64_t i = 0; i < 90; ++i) EXPECT_NEAR(times.count(i) ? times.at(i) : 0, 2500.0 / 90, 20) << "sample " << i;
}

// Weights 1 and 3 over equal classes: class 1 takes three quarters of the draws; weight 0 is never drawn.
TEST(ClassSampler, ClassWeightsSetEachClassesShare) {
  const Dataset data = two_classes(50, 50);
  EXPECT_NEAR(draws(ClassSampler(sampling({1.0, 3.0}), data, 5), data, 40).first, 0.75, 0.02);
  EXPECT_EQ(draws(ClassSampler(sampling({0.0, 2.0}), data, 5), data, 5).first, 1.0);
}

// Without replacement: every sample of weight above 0 once, in a new order each epoch; one draw of a class of weight 9
// against one of weight 1 comes from it nine times in ten.
TEST(ClassSampler, WithoutReplacementEachSampleComesOnce) {
  const Dataset data = two_classes(90, 10);
  const ClassSampler rare_only(sampling({0.0, 1.0}, 10, false), data, 5);
  std::vector<std::int64_t> first = rare_only.order(1), second = rare_only.order(2);
  EXPECT_NE(first, second);
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  const std::vector<std::int64_t> rare = {90, 91, 92, 93, 94, 95, 96, 97, 98, 99};
  EXPECT_EQ(first, rare);
  EXPECT_EQ(second, rare);
  const Dataset even = two_classes(50, 50);
  EXPECT_NEAR(draws(ClassSampler(sampling({1.0, 9.0}, 1, false), even, 5), even, 3000).first, 0.9, 0.02);
}

TEST(ClassSampler, AnEpochsDrawsDependOnTheSeedAndTheEpochAlone) {
  const Dataset data = two_classes(90, 10);
  EXPECT_EQ(ClassSampler(sampling(), data, 5).order(3), ClassSampler(sampling(), data, 5).order(3));
  EXPECT_NE(ClassSampler(sampling(), data, 5).order(3), ClassSampler(sampling(), data, 5).order(4));
  EXPECT_NE(ClassSampler(sampling(), data, 5).order(3), ClassSampler(sampling(), data, 6).order(3));
  EXPECT_EQ(ClassSampler(sampling({}, 1000), data, 5).order(1).size(), 1000u);
}

TEST(ClassSampler, WhatCannotBeDrawnIsRefused) {
  const Dataset data = two_classes(90, 10);
  EXPECT_EQ(error_of([&] { ClassSampler(sampling({1.0, 2.0, 3.0}), data, 1); }),
            "test sampler: weights holds 3 class weights, but the data has 2 classes");
  EXPECT_EQ(error_of([&] { ClassSampler(sampling({0.0, 0.0}), data, 1); }),
            "test sampler: every training sample's class has weight 0, so none can be drawn");
  EXPECT_EQ(error_of([&] { ClassSampler(sampling({0.0, 1.0}, 11, false), data, 1); }),
            "test sampler: 11 samples an epoch without replacement, but only 10 training samples have a class weight above 0");
  Dataset values = data;
  values.targets.assign(100, 0.5f);
  values.target_width = 1;
  EXPECT_EQ(error_of([&] { ClassSampler(sampling(), values, 1); }),
            "test sampler: draws samples by their class, but the training data has no class labels (its targets are values)");
}

class StepCounter final : public Callback {
 public:
  explicit StepCounter(std::int64_t& steps) : steps_(steps) {}
  bool on_batch_end(const BatchRecord&, Model&) override { return ++steps_, true; }

 private:
  std::int64_t& steps_;
};

class ClassSamplerTraining : public ScratchFolderTest {
 protected:
  ClassSamplerTraining() : ScratchFolderTest("class_sampler") {}
  Spec spec(const std::string& sampler, const std::string& callbacks = "[]") const {
    return parse_spec(R"({"seed": 4, "dtype": "float64", "data": {"format": "xor_blobs", "samples": 200, "validation_split": 0.25},
      "layers": [{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 2}],
      "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01},
      "training": {"epochs": 4, "batch_size": 25, "sampler": )" + sampler + R"(}, "callbacks": )" + callbacks + "}",
                      dir_ / "spec.json");
  }
};

// An epoch of num_samples 60 takes 3 steps of 25, 25 and 10; a run resumed from epoch 2 draws epochs 3 and 4 as the
// uninterrupted run did and ends with its weights, bit for bit.
TEST_F(ClassSamplerTraining, AnEpochHasNumSamplesAndAResumedRunDrawsAsTheUninterruptedOne) {
  const auto make = [&] { return spec(R"({"weights": [1, 4], "num_samples": 60})", R"([{"type": "checkpoint", "path": "ckpt-{epoch}.safetensors"}])"); };
  auto straight = build_experiment(make(), registry());
  straight.fit.progress = false;
  std::int64_t steps = 0;
  straight.fit.callbacks.push_back(std::make_shared<StepCounter>(steps));
  Trainer(*straight.model, straight.loss, straight.optimizer).fit(straight.train, &straight.validation, straight.fit);
  EXPECT_EQ(steps, 12);

  auto resumed = build_experiment(make(), registry());
  resumed.fit.progress = false;
  Trainer trainer(*resumed.model, resumed.loss, resumed.optimizer);
  resumed.fit.initial_epoch = restore_checkpoint(dir_ / "ckpt-2.safetensors", make(), *resumed.model, *resumed.optimizer).epoch;
  trainer.fit(resumed.train, &resumed.validation, resumed.fit);
  std::vector<std::vector<double>> a, b;
  for (const Parameter* p : straight.model->parameters(false)) a.push_back(to_host<double>(p->value));
  for (const Parameter* p : resumed.model->parameters(false)) b.push_back(to_host<double>(p->value));
  EXPECT_EQ(a, b);
}

TEST_F(ClassSamplerTraining, ItsSettingsAreChecked) {
  const auto refusal = [&](const std::string& sampler) { return error_of([&] { build_experiment(spec(sampler), registry()); }); };
  EXPECT_NO_THROW(build_experiment(spec(R"("balanced")"), registry()));
  EXPECT_NE(refusal(R"("uniform")").find(R"(training sampler must be "balanced" or an object, got "uniform")"), std::string::npos)
      << refusal(R"("uniform")");
  EXPECT_NE(refusal(R"({"weights": "even"})").find("training sampler: parameter 'weights' must be a list of numbers"), std::string::npos)
      << refusal(R"({"weights": "even"})");
  EXPECT_NE(refusal(R"({"weights": [1, -1]})").find("parameter 'weights' must hold numbers >= 0"), std::string::npos)
      << refusal(R"({"weights": [1, -1]})");
  EXPECT_NE(refusal(R"({"num_samples": 0})").find("parameter 'num_samples' must be >= 1, got 0"), std::string::npos) << refusal(R"({"num_samples": 0})");
  EXPECT_NE(refusal(R"({"replace": false})").find("unknown parameter 'replace'"), std::string::npos) << refusal(R"({"replace": false})");
}

}  // namespace
}  // namespace nnplug::test
