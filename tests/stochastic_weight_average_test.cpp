// Stochastic weight averaging against sums by hand: the model ends with the mean of its weights after each epoch from
// start_epoch on, the learning rate anneals along SWALR's closed form, batch norm's running statistics are the mean
// over the training batches of its input's batch mean and unbiased variance for the averaged weights, and a
// resumed run goes on with the average.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "test_support.hpp"
#include "trainable_weights.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

Spec blobs_spec(const fs::path& dir, const std::string& callbacks) {
  return parse_spec(R"({"seed": 3, "dtype": "float64", "data": {"format": "xor_blobs", "samples": 200, "validation_split": 0.25},
    "layers": [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "batch_norm", "momentum": 0.3}, {"type": "dense", "units": 2}],
    "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9}, "training": {"epochs": 6, "batch_size": 25},
    "callbacks": )" + callbacks + "}",
                    dir / "spec.json");
}

std::vector<double> values_of(const Model& m, const std::string& name) {
  for (Parameter* p : m.parameters(false))
    if (p->name == name) return to_host<double>(p->value);
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

// The trainable weights after each epoch, and each step's learning rate.
class Recorder final : public Callback {
 public:
  bool on_batch_end(const BatchRecord& record, Model&) override {
    rates.push_back(record.learning_rate);
    return true;
  }
  bool on_epoch_end(const EpochRecord&, Model& model) override {
    epochs.push_back(trainable_weights(model));
    return true;
  }
  std::vector<std::vector<double>> epochs;
  std::vector<double> rates;
};

class StochasticWeightAveraging : public ScratchFolderTest {
 protected:
  StochasticWeightAveraging() : ScratchFolderTest("swa") {}
  // Trains the spec with a Recorder before its callbacks.
  std::shared_ptr<Recorder> train(Experiment& ex) {
    auto recorder = std::make_shared<Recorder>();
    ex.fit.callbacks.insert(ex.fit.callbacks.begin(), recorder);
    ex.fit.progress = false;
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
    return recorder;
  }
};

TEST_F(StochasticWeightAveraging, TheModelEndsWithTheMeanOfEveryEpochsWeightsFromTheStartEpoch) {
  auto ex = build_experiment(blobs_spec(dir_, R"([{"type": "swa", "start_epoch": 3, "lr": 0.05, "anneal_epochs": 2}])"), registry());
  const auto recorder = train(ex);
  ASSERT_EQ(recorder->epochs.size(), 6u);
  std::vector<double> mean(recorder->epochs[0].size(), 0.0);
  for (int e = 2; e < 6; ++e)  // epochs 3 to 6
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += recorder->epochs[static_cast<std::size_t>(e)][i] / 4.0;
  const auto final_weights = trainable_weights(*ex.model);
  ASSERT_EQ(final_weights.size(), mean.size());
  for (std::size_t i = 0; i < mean.size(); ++i) EXPECT_NEAR(final_weights[i], mean[i], 1e-12) << i;
  EXPECT_NE(final_weights, recorder->epochs.back());

  // 6 steps an epoch: the optimizer's 0.1 through epoch 3; epoch 4 halfway along the half cosine from 0.1 to 0.05, at
  // (1 - cos(pi / 2)) / 2 = 1/2 of the way; then 0.05.
  ASSERT_EQ(recorder->rates.size(), 36u);
  for (std::size_t s = 0; s < 36; ++s) EXPECT_NEAR(recorder->rates[s], s < 18 ? 0.1 : s < 24 ? 0.075 : 0.05, 1e-15) << "step " << s + 1;
}

TEST_F(StochasticWeightAveraging, ALinearAnnealMovesAnEqualShareEachEpochAndNoLrLeavesTheRateAlone) {
  auto linear = build_experiment(blobs_spec(dir_, R"([{"type": "swa", "start_epoch": 2, "lr": 0.01, "anneal_epochs": 3, "anneal_strategy": "linear"}])"),
                                 registry());
  const auto rates = train(linear)->rates;
  ASSERT_EQ(rates.size(), 36u);
  const double expected[] = {0.1, 0.1, 0.07, 0.04, 0.01, 0.01};  // epochs 3, 4 and 5 a third of the way further each
  for (std::size_t s = 0; s < 36; ++s) EXPECT_NEAR(rates[s], expected[s / 6], 1e-15) << "step " << s + 1;

  auto unscheduled = build_experiment(blobs_spec(dir_, R"([{"type": "swa", "start_epoch": 2}])"), registry());
  for (const double rate : train(unscheduled)->rates) EXPECT_EQ(rate, 0.1);
}

// Batch norm's input for the averaged weights (the first dense layer's output, tanh included): its batch means and unbiased
// variances over the 6 training batches in order, averaged, are the running statistics (PyTorch's update_bn), whatever
// the layer's momentum; so too after the moving average's weights. Without update_bn the running statistics stay
// those training left.
TEST_F(StochasticWeightAveraging, BatchNormsStatisticsAreGatheredAgainForTheAveragedWeights) {
  const std::vector<std::pair<const char*, bool>> runs = {{R"({"type": "swa", "start_epoch": 4})", true},
                                                          {R"({"type": "swa", "start_epoch": 4, "update_bn": false})", false},
                                                          {R"({"type": "ema", "decay": 0.9, "update_bn": true})", true}};
  for (const auto& [callback, update] : runs) {
    SCOPED_TRACE(callback);
    auto ex = build_experiment(blobs_spec(dir_, fmt::format("[{}]", callback)), registry());
    train(ex);
    const Tensor x = tensor(ex.model->backend(), ex.train.sample_shape.with_batch(ex.train.size()), ex.train.x.visit([](const auto& v) {
      return std::vector<double>(v.begin(), v.end());
    }));
    std::size_t norm = 0;
    while (ex.model->layer(norm).type() != "batch_norm") ++norm;
    ex.model->set_training(false);
    std::vector<double> hidden;
    ex.model->forward_each(x, [&](std::size_t node, const Tensor& out) {
      if (node == ex.model->inputs(norm).front()) hidden = to_host<double>(out);
    });
    const std::size_t units = 4, batches = 6, batch = 25;
    ASSERT_EQ(hidden.size(), batches * batch * units);
    std::vector<double> mean(units, 0.0), variance(units, 0.0);
    for (std::size_t b = 0; b < batches; ++b)
      for (std::size_t u = 0; u < units; ++u) {
        double sum = 0.0, squares = 0.0;
        for (std::size_t i = 0; i < batch; ++i) sum += hidden[(b * batch + i) * units + u];
        const double batch_mean = sum / batch;
        for (std::size_t i = 0; i < batch; ++i) squares += std::pow(hidden[(b * batch + i) * units + u] - batch_mean, 2);
        mean[u] += batch_mean / batches;
        variance[u] += squares / (batch - 1) / batches;
      }
    const auto running_mean = values_of(*ex.model, "running_mean"), running_var = values_of(*ex.model, "running_var");
    for (std::size_t u = 0; u < units; ++u) {
      if (update) {
        EXPECT_NEAR(running_mean[u], mean[u], 1e-12) << u;
        EXPECT_NEAR(running_var[u], variance[u], 1e-12) << u;
      } else {
        EXPECT_GT(std::fabs(running_mean[u] - mean[u]) + std::fabs(running_var[u] - variance[u]), 1e-6) << u;
      }
    }
  }
}

// A batch norm of momentum 0 never moves its running statistics: they are no moving average to gather again, and stay
// at their start, mean 0 and variance 1.
TEST_F(StochasticWeightAveraging, StatisticsATrainingPassLeavesAloneStayAsTheyAre) {
  Spec spec = blobs_spec(dir_, R"([{"type": "swa", "start_epoch": 2}])");
  spec.set("layers[1].momentum=0");
  auto ex = build_experiment(spec, registry());
  train(ex);
  EXPECT_EQ(values_of(*ex.model, "running_mean"), std::vector<double>(4, 0.0));
  EXPECT_EQ(values_of(*ex.model, "running_var"), std::vector<double>(4, 1.0));
}

// The checkpoint of epoch 4 keeps the average of epochs 3 and 4 and the rate epoch 3 ended with: the resumed run ends
// with the uninterrupted one's weights and running statistics, bit for bit; a damaged count is refused.
TEST_F(StochasticWeightAveraging, AResumedRunGoesOnWithTheAverage) {
  const auto spec = [&] {
    return blobs_spec(dir_, R"([{"type": "swa", "start_epoch": 3, "lr": 0.02, "anneal_epochs": 2},
                                 {"type": "checkpoint", "path": "ckpt-{epoch}.safetensors"}])");
  };
  auto straight = build_experiment(spec(), registry());
  train(straight);
  auto resumed = build_experiment(spec(), registry());
  resumed.fit.progress = false;
  Trainer trainer(*resumed.model, resumed.loss, resumed.optimizer);  // which gives the optimizer its state to restore
  resumed.fit.initial_epoch =
      restore_checkpoint(dir_ / "ckpt-4.safetensors", spec(), *resumed.model, *resumed.optimizer, resumed.fit.callbacks).epoch;
  EXPECT_EQ(resumed.fit.initial_epoch, 4);
  trainer.fit(resumed.train, &resumed.validation, resumed.fit);
  std::vector<std::vector<double>> a, b;
  for (const Parameter* p : straight.model->parameters(false)) a.push_back(to_host<double>(p->value));
  for (const Parameter* p : resumed.model->parameters(false)) b.push_back(to_host<double>(p->value));
  EXPECT_EQ(a, b);

  auto damaged = build_experiment(spec(), registry());
  const CallbackState negative{"swa", {{"averaged", -1}, {"start_rate", 0.1}}, {}};
  EXPECT_THROW(damaged.fit.callbacks.front()->restore_state(negative, *damaged.model), InvalidArgument);
  const CallbackState without_weights{"swa", {{"averaged", 2}, {"start_rate", 0.1}}, {}};
  EXPECT_THROW(damaged.fit.callbacks.front()->restore_state(without_weights, *damaged.model), InvalidArgument);
}

TEST_F(StochasticWeightAveraging, ItsSettingsAreChecked) {
  const auto refusal = [&](const std::string& callback) {
    return error_of([&] { build_experiment(blobs_spec(dir_, "[" + callback + "]"), registry()); });
  };
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"type": "swa"})", "callbacks[0]: parameter 'start_epoch' is required"},
      {R"({"type": "swa", "start_epoch": 0})", "parameter 'start_epoch' must be in [1, 1000000], got 0"},
      {R"({"type": "swa", "start_epoch": 2, "anneal_strategy": "exp"})", R"(parameter 'anneal_strategy' must be "cos" or "linear", got "exp")"},
      {R"({"type": "swa", "start_epoch": 2, "lr": -1})", "parameter 'lr' must be >= 0, got -1"},
      {R"({"type": "swa", "start_epoch": 2, "lrs": 1})", "unknown parameter 'lrs' (it takes: anneal_epochs, anneal_strategy, lr, start_epoch"}};
  for (const auto& [callback, expected] : cases) EXPECT_NE(refusal(callback).find(expected), std::string::npos) << refusal(callback);
}

// A layer whose non-trainable parameter counts its training passes: not a moving average, so its value cannot be
// gathered again, and the refusal names the layer and the parameter.
class PassCounter final : public Layer {
 public:
  std::string type() const override { return "pass_counter"; }
  Shape build(const Shape& input, const BuildContext& ctx) override {
    passes_ = Parameter{"passes", ctx.backend.empty({1}, ctx.dtype), ctx.backend.empty({1}, ctx.dtype), false,
                        Params("", {{"type", "constant"}, {"value", 0.0}}), 1, 1};
    return input;
  }
  std::vector<Parameter*> parameters() override { return {&passes_}; }
  void set_training(bool training) override { training_ = training; }
  const Tensor& forward(const Tensor& x) override {
    if (training_) from_host(passes_.value, std::vector<double>{to_host<double>(passes_.value)[0] + 1.0});
    return x;
  }
  const Tensor& backward(const Tensor& dy, bool) override { return dy; }

 private:
  Parameter passes_;
  bool training_ = false;
};

TEST_F(StochasticWeightAveraging, AStatisticThatIsNotAMovingAverageIsRefusedNamingItsLayer) {
  Model model(cpu_backend(), DType::Float64);
  model.add(std::make_shared<PassCounter>(), "layers[0] (pass_counter)");
  model.build(Shape{2}, registry(), 1);
  Dataset data;
  data.sample_shape = Shape{2};
  data.x = SampleValues(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8});
  data.labels = {0, 1, 0, 1};
  data.num_classes = 2;
  const std::string message = error_of([&] { Trainer(model, nullptr, nullptr).recompute_statistics(data, 2); });
  EXPECT_NE(message.find("layers[0] (pass_counter): passes: a training pass changes this non-trainable parameter, but not as a moving average"),
            std::string::npos) << message;
}

}  // namespace
}  // namespace nnplug::test
