// Gradient accumulation (training.gradient_accumulation_steps): an update of k batches of B samples is the update of
// one batch of their k B samples. Checked against a hand-computed gradient step of a linear model, and against
// training at the update's batch without accumulation, whose every part other tests check against PyTorch.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/experiment.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

struct Trained {
  std::vector<std::vector<double>> weights;  // every parameter and buffer
  std::vector<EpochRecord> history;
  std::vector<BatchRecord> steps;
};

class StepRecorder : public Callback {
 public:
  explicit StepRecorder(std::vector<BatchRecord>& steps) : steps_(steps) {}
  bool on_batch_end(const BatchRecord& record, Model&) override {
    steps_.push_back(record);
    return true;
  }

 private:
  std::vector<BatchRecord>& steps_;
};

Experiment experiment(const Json& json) { return build_experiment(parse_spec(json.dump(), "accumulation.json"), registry()); }

Trained train(const Json& json) {
  Experiment ex = experiment(json);
  ex.fit.progress = false;
  Trained out;
  ex.fit.callbacks.push_back(std::make_shared<StepRecorder>(out.steps));
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  out.history = trainer.fit(ex.train, ex.validation.size() ? &ex.validation : nullptr, ex.fit);
  for (Parameter* p : ex.model->parameters(false)) out.weights.push_back(to_host<double>(p->value));
  return out;
}

double largest_difference(const Trained& a, const Trained& b) {
  double largest = 0.0;
  for (std::size_t t = 0; t < a.weights.size(); ++t)
    for (std::size_t i = 0; i < a.weights[t].size(); ++i) largest = std::max(largest, std::abs(a.weights[t][i] - b.weights[t][i]));
  return largest;
}

void expect_same(const Trained& one_batch, const Trained& accumulated) {
  ASSERT_EQ(one_batch.weights.size(), accumulated.weights.size());
  EXPECT_LT(largest_difference(one_batch, accumulated), 1e-12);
  ASSERT_EQ(one_batch.history.size(), accumulated.history.size());
  for (std::size_t e = 0; e < one_batch.history.size(); ++e) {
    EXPECT_NEAR(one_batch.history[e].train.loss, accumulated.history[e].train.loss, 1e-12) << "epoch " << e + 1;
    EXPECT_NEAR(one_batch.history[e].train.score, accumulated.history[e].train.score, 1e-12) << "epoch " << e + 1;
    EXPECT_NEAR(one_batch.history[e].validation.loss, accumulated.history[e].validation.loss, 1e-12) << "epoch " << e + 1;
  }
  // The schedule's clock and the callbacks count updates, not batches.
  ASSERT_EQ(one_batch.steps.size(), accumulated.steps.size());
  for (std::size_t s = 0; s < one_batch.steps.size(); ++s) {
    EXPECT_EQ(one_batch.steps[s].batch, accumulated.steps[s].batch);
    EXPECT_EQ(one_batch.steps[s].batches, accumulated.steps[s].batches);
    EXPECT_EQ(one_batch.steps[s].step, accumulated.steps[s].step);
    EXPECT_NEAR(one_batch.steps[s].loss, accumulated.steps[s].loss, 1e-12) << "step " << s + 1;
    EXPECT_DOUBLE_EQ(one_batch.steps[s].learning_rate, accumulated.steps[s].learning_rate) << "step " << s + 1;
  }
}

// 100 samples: updates of 32 samples (four batches of 8), 32, 32 and a last one of 4 (one batch). Dropout,
// penalties on a weight and an activity, clip_norm of the whole update's gradient, Adam, a schedule by step.
Json spec_with_everything() {
  return Json::parse(R"({
    "seed": 11, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 125, "features": 6, "centers": 3, "std": 1.5, "validation_split": 0.2},
    "layers": [{"type": "dense", "units": 12, "activation": "tanh", "weight_regularizer": {"type": "l2", "lambda": 0.01}},
               {"type": "dropout", "rate": 0.3},
               {"type": "dense", "units": 8, "activation": "relu", "activity_regularizer": {"type": "l1", "lambda": 0.001}},
               {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy",
    "optimizer": {"type": "adam", "lr": 0.01},
    "schedule": {"type": "inverse_time", "decay": 0.2},
    "gradient_transforms": [{"type": "clip_norm", "max_norm": 0.5}],
    "training": {"epochs": 3, "batch_size": 32}
  })");
}

TEST(GradientAccumulation, FourBatchesOfEightUpdateAsOneBatchOfThirtyTwo) {
  const Json one_batch = spec_with_everything();
  Json accumulating = one_batch;
  accumulating["training"]["batch_size"] = 8;
  accumulating["training"]["gradient_accumulation_steps"] = 4;
  const Trained reference = train(one_batch);
  ASSERT_EQ(reference.steps.size(), 12u);  // 4 updates in each of 3 epochs
  expect_same(reference, train(accumulating));
  // Batches of 8 without accumulation step 13 times an epoch, and end elsewhere: the comparison can fail.
  accumulating["training"]["gradient_accumulation_steps"] = 1;
  EXPECT_GT(largest_difference(reference, train(accumulating)), 1e-3);
}

// A last update of fewer batches: 13 batches of 8 (the last of 4 samples) in updates of 40, 40 and 20. With
// drop_last the short batch goes, as one batch of 48 drops the same 4 samples of the epoch's order: updates of 48.
TEST(GradientAccumulation, AShortLastUpdateAndDropLast) {
  for (const auto& [update, steps, drop_last] : {std::tuple{40, 5, false}, std::tuple{48, 6, true}}) {
    SCOPED_TRACE(drop_last ? "drop_last" : "every sample");
    Json one_batch = spec_with_everything();
    one_batch["training"]["batch_size"] = update;
    one_batch["training"]["drop_last"] = drop_last;
    Json accumulating = one_batch;
    accumulating["training"]["batch_size"] = 8;
    accumulating["training"]["gradient_accumulation_steps"] = steps;
    expect_same(train(one_batch), train(accumulating));
  }
}

// One update of a linear model on 12 samples, in 3 batches of 4, against the gradient of the mean squared error
// over all 12, computed here: w - lr (2/n) sum_i (w.x_i + b - t_i) x_i.
TEST(GradientAccumulation, OneUpdateIsTheGradientStepOfTheWholeBatch) {
  const Json spec = Json::parse(R"({
    "seed": 3, "dtype": "float64",
    "data": {"format": "friedman1", "samples": 12, "features": 5},
    "layers": [{"type": "dense", "units": 1}],
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 0.05},
    "training": {"epochs": 1, "batch_size": 4, "gradient_accumulation_steps": 3, "shuffle": false}
  })");
  Experiment ex = experiment(spec);
  ASSERT_TRUE(ex.model->target_scaling().empty());
  ASSERT_EQ(ex.train.size(), 12);
  const auto params = ex.model->parameters(true);
  ASSERT_EQ(params.size(), 2u);
  const std::vector<double> w = to_host<double>(params[0]->value), b = to_host<double>(params[1]->value);
  const std::vector<double> x = ex.train.x.doubles();
  std::vector<double> dw(5, 0.0);
  double db = 0.0;
  for (std::size_t i = 0; i < 12; ++i) {
    double r = b[0] - ex.train.targets[i];
    for (std::size_t j = 0; j < 5; ++j) r += w[j] * x[i * 5 + j];
    for (std::size_t j = 0; j < 5; ++j) dw[j] += 2.0 * r * x[i * 5 + j] / 12.0;
    db += 2.0 * r / 12.0;
  }
  ex.fit.progress = false;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  trainer.fit(ex.train, nullptr, ex.fit);
  const std::vector<double> w1 = to_host<double>(params[0]->value), b1 = to_host<double>(params[1]->value);
  for (std::size_t j = 0; j < 5; ++j) EXPECT_NEAR(w1[j], w[j] - 0.05 * dw[j], 1e-13) << "weight " << j;
  EXPECT_NEAR(b1[0], b[0] - 0.05 * db, 1e-13);
}

TEST(GradientAccumulation, ASpecWithoutAPositiveCountIsRefused) {
  Json spec = spec_with_everything();
  spec["training"]["gradient_accumulation_steps"] = 0;
  EXPECT_NE(error_of([&] { experiment(spec); }).find("gradient_accumulation_steps"), std::string::npos);
}

}  // namespace
}  // namespace nnplug::test
