// Per-sample loss weights in training (Keras's class_weight and sample_weight, loss_weighting.hpp), checked against
// what other parts compute independently: a loss's own class_weights (PyTorch's weight=, checked against PyTorch
// fixtures) and binary_cross_entropy's pos_weight train the same weights; a sample of weight 0 trains as if it were
// left out; "balanced" against scikit-learn's closed form; validation stays unweighted, as in Keras.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/loss_weighting.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

Experiment experiment(const Json& json) { return build_experiment(parse_spec(json.dump(), "weighting.json"), registry()); }

struct Trained {
  std::vector<double> weights;  // every parameter, one after another
  std::vector<EpochRecord> history;
};

Trained train(Experiment& ex, const Dataset& data) {
  ex.fit.progress = false;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  Trained out;
  out.history = trainer.fit(data, ex.validation.size() ? &ex.validation : nullptr, ex.fit);
  for (Parameter* p : ex.model->parameters(false))
    for (const double v : to_host<double>(p->value)) out.weights.push_back(v);
  return out;
}

Trained train(const Json& json) {
  Experiment ex = experiment(json);
  return train(ex, ex.train);
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double largest = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

// Three classes, dropout and Adam over shuffled batches of 16, a validation set.
Json three_classes() {
  return Json::parse(R"({
    "seed": 7, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 90, "features": 4, "centers": 3, "std": 2.0, "validation_split": 0.2},
    "layers": [{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy",
    "optimizer": {"type": "adam", "lr": 0.02},
    "training": {"epochs": 3, "batch_size": 16}
  })");
}

// training.class_weight weighs each sample's gradient by its class as the loss's own class_weights does; the history's
// losses stay unweighted, the validation loss as Keras's.
TEST(LossWeighting, ClassWeightTrainsAsTheLossesOwnClassWeights) {
  const std::vector<double> weights = {0.5, 2.0, 1.0};
  Json by_training = three_classes(), by_loss = three_classes();
  by_training["training"]["class_weight"] = weights;
  by_loss["loss"] = Json{{"type", "softmax_cross_entropy"}, {"class_weights", weights}};
  const Trained weighted = train(by_training), reference = train(by_loss), unweighted = train(three_classes());
  EXPECT_LT(largest_difference(weighted.weights, reference.weights), 1e-12);
  EXPECT_GT(largest_difference(weighted.weights, unweighted.weights), 1e-3);  // the weights change the training

  // Validation scored unweighted: the trained model's loss on the validation set, scored by a loss without weights.
  Experiment ex = experiment(by_training);
  train(ex, ex.train);
  Trainer scorer(*ex.model, ex.loss, nullptr);
  ASSERT_EQ(weighted.history.size(), 3u);
  EXPECT_NEAR(weighted.history.back().validation.loss, scorer.evaluate(ex.validation, 64).loss, 1e-12);
}

// A Keras dict ({"0": 1, "1": 3}) on one sigmoid output is PyTorch's pos_weight of 3: the positive term times 3.
TEST(LossWeighting, BinaryClassWeightIsPosWeight) {
  Json spec = Json::parse(R"({
    "seed": 5, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 60, "features": 3, "centers": 2, "std": 2.5},
    "layers": [{"type": "dense", "units": 1}],
    "loss": "binary_cross_entropy",
    "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
    "training": {"epochs": 2, "batch_size": 8}
  })");
  Json by_loss = spec;
  spec["training"]["class_weight"] = Json{{"0", 1.0}, {"1", 3.0}};
  by_loss["loss"] = Json{{"type", "binary_cross_entropy"}, {"pos_weight", {3.0}}};
  EXPECT_LT(largest_difference(train(spec).weights, train(by_loss).weights), 1e-12);
}

// One full-batch SGD step of a linear regression: samples of weight 0 are left out, and the others' weight 12/8
// brings the mean over 12 samples to the mean over the 8 that train.
TEST(LossWeighting, ASampleOfWeightZeroTrainsAsIfLeftOut) {
  const Json spec = Json::parse(R"({
    "seed": 3, "dtype": "float64",
    "data": {"format": "friedman1", "samples": 12, "features": 5},
    "layers": [{"type": "dense", "units": 1}],
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 0.05},
    "training": {"epochs": 1, "batch_size": 12, "shuffle": false}
  })");
  Experiment weighted = experiment(spec), kept = experiment(spec);
  weighted.fit.loss_weighting.sample_weights = {0, 0, 0, 0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
  std::vector<std::int64_t> last_eight(8);
  std::iota(last_eight.begin(), last_eight.end(), 4);
  kept.fit.batch_size = 8;
  const Dataset eight = kept.train.subset(last_eight);
  const Trained a = train(weighted, weighted.train), b = train(kept, eight);
  EXPECT_LT(largest_difference(a.weights, b.weights), 1e-12);
  EXPECT_GT(largest_difference(a.weights, train(spec).weights), 1e-4);
}

Dataset labelled(const std::vector<std::int32_t>& labels) {
  Dataset d;
  d.sample_shape = Shape{1};
  d.labels = labels;
  d.num_classes = 3;
  d.x = SampleValues(std::vector<double>(labels.size(), 0.0));
  return d;
}

// scikit-learn's compute_class_weight("balanced"): n / (classes present * count), here 6 / (2 * 4) and 6 / (2 * 2);
// times the sample weights; classes read from one-hot rows and from whole numbers as Keras reads y.
TEST(LossWeighting, BalancedAndKerassReadingOfClasses) {
  const auto loss = registry().create_loss(Params("loss", "softmax_cross_entropy"));
  LossWeighting balanced{{}, {}, true};
  const Dataset data = labelled({0, 2, 0, 2, 0, 0});
  EXPECT_EQ(sample_loss_weights(balanced, data, *loss, Shape{3}), (std::vector<double>{0.75, 1.5, 0.75, 1.5, 0.75, 0.75}));
  balanced.sample_weights = {2, 1, 1, 1, 1, 0};
  EXPECT_EQ(sample_loss_weights(balanced, data, *loss, Shape{3}), (std::vector<double>{1.5, 1.5, 0.75, 1.5, 0.75, 0.0}));

  Dataset rows = labelled({-1, -1});
  rows.targets = {0, 0, 1, 0.1f, 0.7f, 0.2f}, rows.target_width = 3;
  const auto values = registry().create_loss(Params("loss", "categorical_cross_entropy"));
  EXPECT_EQ(sample_loss_weights(LossWeighting{{}, {1, 5, 9}}, rows, *values, Shape{3}), (std::vector<double>{9, 5}));
  Dataset whole = labelled({-1, -1, -1});
  whole.targets = {1, 0, 1}, whole.target_width = 1;
  const auto bce = registry().create_loss(Params("loss", "binary_cross_entropy"));
  EXPECT_EQ(sample_loss_weights(LossWeighting{{}, {1, 4}}, whole, *bce, Shape{1}), (std::vector<double>{4, 1, 4}));
}

TEST(LossWeighting, RefusalsNameTheSettingAndTheSample) {
  const auto loss = registry().create_loss(Params("loss", "softmax_cross_entropy"));
  const Dataset data = labelled({0, 2, 1});
  const auto refusal = [&](const LossWeighting& w, const Dataset& d = {}) {
    return error_of([&] { (void)sample_loss_weights(w, d.size() ? d : data, *loss, Shape{3}); });
  };
  EXPECT_EQ(refusal({{}, {1, 2}}), "fit: class_weight weighs classes 0 to 1, but sample 1 is of class 2; give a weight to every class");
  EXPECT_EQ(refusal({{1, 2}}), "fit: sample_weight holds 2 weights for 3 training samples; give one per sample");
  EXPECT_EQ(refusal({{1, -2, 1}}), "fit: sample_weight gives sample 1 the weight -2; weights are finite and >= 0");
  EXPECT_EQ(refusal({{}, {1, NAN, 1}}), "fit: class_weight gives class 1 the weight nan; weights are finite and >= 0");
  Dataset regression = labelled({-1, -1});
  regression.targets = {3, 2.5f}, regression.target_width = 1;
  const auto mse = registry().create_loss(Params("loss", "mse"));
  EXPECT_EQ(error_of([&] { (void)sample_loss_weights({{}, {1, 1, 1, 1}}, regression, *mse, Shape{1}); }),
            "fit: class_weight weighs a sample by its class, but the target of sample 1 is 2.5, not a class index; for a regression give "
            "sample_weight");

  // The spec's forms: a list, Keras's dict of every class from 0, or "balanced".
  const auto spec_refusal = [](const Json& class_weight) {
    Json spec = three_classes();
    spec["training"]["class_weight"] = class_weight;
    return error_of([&] { (void)experiment(spec); });
  };
  EXPECT_EQ(spec_refusal(Json{{"0", 1}, {"2", 3}}),
            "weighting.json: training: parameter 'class_weight' must name each class from 0 to 1 once, as Keras's class_weight; it names \"2\"");
  EXPECT_EQ(spec_refusal(Json{{"0", 1}, {"00", 3}}),
            "weighting.json: training: parameter 'class_weight' must name each class from 0 to 1 once, as Keras's class_weight; it names \"00\"");
  EXPECT_EQ(spec_refusal(Json{{"0", 1}, {"1", -3}}), "weighting.json: training: parameter 'class_weight' must give weights >= 0, got -3 for class 1");
  EXPECT_EQ(spec_refusal("even"),
            "weighting.json: training: parameter 'class_weight' must be \"balanced\", a list or an object of class weights, got \"even\"");
  EXPECT_EQ(spec_refusal(Json::array()), "weighting.json: training: parameter 'class_weight' gives no class weight");
  Json twice = three_classes();
  twice["training"]["class_weight"] = "balanced";
  twice["loss"] = Json{{"type", "softmax_cross_entropy"}, {"class_weights", {1, 2, 3}}};
  EXPECT_EQ(error_of([&] { (void)experiment(twice); }),
            "weighting.json: training: class_weight weighs the classes, and loss softmax_cross_entropy weighs them too by its class_weights, so "
            "each sample would be weighed twice; give one of them (class_weight weighs training alone, as Keras's does; the loss's weighs "
            "validation too, as PyTorch's weight= does)");
  EXPECT_EQ(error_of([] {
              Json spec = three_classes();
              spec["training"]["class_weight"] = "balanced";
              (void)train(spec);
            }),
            "(no error)");
}

}  // namespace
}  // namespace nnplug::test
