// Callbacks: early stopping against a hand-made sequence of epochs, restoring the best weights, checkpoints of
// the best epoch only, the history file, and the NaN stop naming where the first non-finite value appeared.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "test_support.hpp"
#include "trainable_weights.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

EpochRecord record(int epoch, double val_loss) {
  EpochRecord r;
  r.epoch = epoch;
  r.train = {1.0 / epoch, 0.5};
  r.validation = {val_loss, 0.9};
  r.has_validation = true;
  return r;
}

Spec xor_spec(const fs::path& dir, const std::string& callbacks) {
  return parse_spec(R"({"seed": 2, "data": {"format": "xor_blobs", "samples": 200, "validation_split": 0.25},
    "layers": [{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dense", "units": 2}],
    "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 6, "batch_size": 25},
    "callbacks": )" + callbacks + "}",
                    dir / "spec.json");
}

// Every parameter's values, buffers included.
std::vector<std::vector<double>> weights(const Model& m) {
  std::vector<std::vector<double>> w;
  for (Parameter* p : m.parameters(false)) w.push_back(to_host<double>(p->value));
  return w;
}

class Callbacks : public ScratchFolderTest {
 protected:
  Callbacks() : ScratchFolderTest("callbacks") {}
};

TEST_F(Callbacks, EarlyStoppingWaitsPatienceEpochsWithoutImprovement) {
  auto ex = build_experiment(xor_spec(dir_, "[]"), registry());
  EarlyStopping stop("val_loss", 0.01, 2, false);
  EXPECT_TRUE(stop.on_epoch_end(record(1, 1.0), *ex.model));
  EXPECT_TRUE(stop.on_epoch_end(record(2, 0.8), *ex.model));   // better
  EXPECT_TRUE(stop.on_epoch_end(record(3, 0.795), *ex.model)); // not by more than min_delta: 1 of 2
  EXPECT_FALSE(stop.on_epoch_end(record(4, 0.9), *ex.model));  // 2 of 2: stop
  EXPECT_EQ(stop.best_epoch(), 2);
}

TEST_F(Callbacks, EarlyStoppingRestoresTheBestWeights) {
  auto ex = build_experiment(xor_spec(dir_, "[]"), registry());
  EarlyStopping stop("val_loss", 0.0, 1, true);
  Parameter* w = ex.model->parameters(false)[0];
  const auto best = to_host<double>(w->value);
  stop.on_epoch_end(record(1, 0.5), *ex.model);
  from_host(w->value, std::vector<double>(best.size(), 7.0));  // training moves on to worse weights
  EXPECT_FALSE(stop.on_epoch_end(record(2, 0.6), *ex.model));
  stop.on_train_end(*ex.model);
  EXPECT_EQ(to_host<double>(w->value), best);
}

TEST_F(Callbacks, FromTheSpecTheyStopCheckpointAndWriteHistory) {
  auto ex = build_experiment(
      xor_spec(dir_, R"([{"type": "early_stopping", "monitor": "val_accuracy", "patience": 1, "min_delta": 1.0},
                         {"type": "checkpoint", "path": "best.safetensors", "best_only": true, "monitor": "val_loss"},
                         {"type": "history", "path": "history.csv"}])"),
      registry());
  ex.fit.progress = false;
  // min_delta 1 on an accuracy: no epoch can improve on the first, so training stops after epoch 2 of 6.
  const auto history = Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  ASSERT_EQ(history.size(), 2u);
  std::ifstream csv(dir_ / "history.csv");
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds");
  int lines = 0;
  while (std::getline(csv, line)) {
    ++lines;
    EXPECT_EQ(line.substr(0, 2), fmt::format("{},", lines));
  }
  EXPECT_EQ(lines, 2);
  EXPECT_TRUE(fs::exists(dir_ / "best.safetensors"));
  EXPECT_NO_THROW(load_model(dir_ / "best.safetensors", registry()));
}

// As Keras's ModelCheckpoint names its files: the epoch and its scores, in Python's formats; a field the run does not
// score is refused before it trains.
TEST_F(Callbacks, ACheckpointPathNamesTheEpochAndItsScoresAsKerassDoes) {
  auto ex = build_experiment(xor_spec(dir_, R"([{"type": "checkpoint", "path": "ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"}])"), registry());
  ex.fit.progress = false;
  ex.fit.epochs = 2;
  const auto history = Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  ASSERT_EQ(history.size(), 2u);
  for (const auto& r : history) EXPECT_TRUE(fs::exists(dir_ / fmt::format("ckpt-0{}-{:.3f}.safetensors", r.epoch, r.validation.loss))) << r.epoch;
  const std::string refusal = error_of([&] {
    (void)build_experiment(xor_spec(dir_, R"([{"type": "checkpoint", "path": "ckpt-{val_mse}.safetensors"}])"), registry());
  });
  EXPECT_NE(refusal.find("ckpt-{val_mse}.safetensors: argument not found: it may name {epoch}, {loss}, {accuracy}, {mae}, {val_loss}"),
            std::string::npos) << refusal;
}

// Keeps a host copy of every trainable weight after each step.
class WeightRecorder final : public Callback {
 public:
  bool on_batch_end(const BatchRecord&, Model& model) override {
    steps.push_back(trainable_weights(model));
    return true;
  }
  std::vector<std::vector<double>> steps;
};

TEST_F(Callbacks, TheModelEndsWithTheMovingAverageOfItsWeights) {
  auto ex = build_experiment(xor_spec(dir_, R"([{"type": "ema", "decay": 0.9}])"), registry());
  auto recorder = std::make_shared<WeightRecorder>();
  ex.fit.callbacks.insert(ex.fit.callbacks.begin(), recorder);
  ex.fit.progress = false;
  ex.fit.epochs = 2;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  ASSERT_EQ(recorder->steps.size(), 12u);  // 150 samples in batches of 25, twice
  // The average by hand: the first step's weights, then 0.9 * average + 0.1 * weights after every later step.
  std::vector<double> average = recorder->steps[0];
  for (std::size_t k = 1; k < recorder->steps.size(); ++k)
    for (std::size_t i = 0; i < average.size(); ++i) average[i] = 0.9 * average[i] + 0.1 * recorder->steps[k][i];
  const auto final_weights = trainable_weights(*ex.model);
  ASSERT_EQ(final_weights.size(), average.size());
  for (std::size_t i = 0; i < average.size(); ++i) EXPECT_NEAR(final_weights[i], average[i], 1e-6) << i;
  EXPECT_NE(final_weights, recorder->steps.back());  // not simply the last weights
  EXPECT_THROW(build_experiment(xor_spec(dir_, R"([{"type": "ema", "decay": 1}])"), registry()), InvalidArgument);
}

// Lookahead by hand (k 5, alpha 0.5) over 12 steps: a recorder before it sees each step's fast weights, one after it
// what the step leaves. The slow weights start as the initial ones; after steps 5 and 10 they move half way to the
// fast weights, which start again from them; at the end the model takes them after a last move, from 2 steps.
TEST_F(Callbacks, LookaheadMovesTheSlowWeightsEveryKStepsAndEndsWithThem) {
  auto ex = build_experiment(xor_spec(dir_, R"([{"type": "lookahead", "k": 5, "alpha": 0.5}])"), registry());
  auto fast = std::make_shared<WeightRecorder>(), after = std::make_shared<WeightRecorder>();
  ex.fit.callbacks.insert(ex.fit.callbacks.begin(), fast);
  ex.fit.callbacks.push_back(after);
  ex.fit.progress = false;
  ex.fit.epochs = 2;
  std::vector<double> slow = trainable_weights(*ex.model);
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  ASSERT_EQ(fast->steps.size(), 12u);
  const auto move_slow = [&](const std::vector<double>& to) {
    for (std::size_t i = 0; i < slow.size(); ++i) slow[i] += 0.5 * (to[i] - slow[i]);
  };
  const auto expect_weights = [](const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << what << " [" << i << "]";
  };
  for (std::size_t k = 0; k < 12; ++k) {
    const bool synchronized = (k + 1) % 5 == 0;
    if (synchronized) move_slow(fast->steps[k]);
    expect_weights(after->steps[k], synchronized ? slow : fast->steps[k], fmt::format("after step {}", k + 1));
  }
  EXPECT_NE(fast->steps[5], fast->steps[4]);  // the fast weights went on from the slow ones
  move_slow(fast->steps[11]);
  expect_weights(trainable_weights(*ex.model), slow, "at the end");
  EXPECT_EQ(error_of([&] { build_experiment(xor_spec(dir_, R"([{"type": "lookahead", "alpha": 0}])"), registry()); }),
            fmt::format("{}: callbacks[0]: parameter 'alpha' must be above 0: the share of the way the slow weights move", (dir_ / "spec.json").string()));
}

// Under a step schedule (halving every epoch), a plateau callback that finds no epoch better than the first
// multiplies the rate by 0.1 after each later one: the rate each epoch trained with, in the history.
TEST_F(Callbacks, APlateauLowersTheRateTheScheduleGives) {
  Spec spec = xor_spec(dir_, R"([{"type": "reduce_lr_on_plateau", "monitor": "loss", "patience": 0, "threshold": 1e9, "threshold_mode": "abs"}])");
  spec.set(R"(schedule={"type": "step", "step_size": 1, "gamma": 0.5})");
  auto ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  ex.fit.epochs = 4;
  const auto history = Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  ASSERT_EQ(history.size(), 4u);
  const double want[] = {0.1, 0.05, 0.1 * 0.25 * 0.1, 0.1 * 0.125 * 0.01};
  for (std::size_t e = 0; e < 4; ++e) EXPECT_NEAR(history[e].learning_rate, want[e], 1e-15) << "epoch " << e + 1;
  EXPECT_THROW(build_experiment(xor_spec(dir_, R"([{"type": "reduce_lr_on_plateau", "factor": 1}])"), registry()), InvalidArgument);
  EXPECT_THROW(build_experiment(xor_spec(dir_, R"([{"type": "reduce_lr_on_plateau", "threshold_mode": "relative"}])"), registry()), InvalidArgument);
}

// Keras's counting, traced by hand through Keras's on_epoch_end for these validation losses (patience 2, cooldown 1,
// factor 0.5, min_lr 0.2, min_delta 0, from a rate of 1): lowered after epochs 4, 6 (the epoch that ends the cooldown
// counts) and 10 (to min_lr), then no more. PyTorch's counting lowers it first after epoch 5.
TEST_F(Callbacks, APlateauByKerassRulesLowersTheRateAsKerassDoes) {
  const std::vector<double> losses = {1.0, 0.9, 0.95, 0.95, 0.95, 0.96, 0.97, 0.80, 0.85, 0.85, 0.9, 0.9, 0.9};
  const auto rates = [&](const char* rules) {
    auto ex = build_experiment(xor_spec(dir_, fmt::format(R"([{{"type": "reduce_lr_on_plateau", "rules": "{}", "patience": 2, "cooldown": 1,
                                                             "factor": 0.5, "min_lr": 0.2, "threshold": 0}}])",
                                                          rules)),
                               registry());
    Callback& plateau = *ex.fit.callbacks.at(0);
    std::vector<double> out;
    for (std::size_t e = 0; e < losses.size(); ++e) {
      EpochRecord r = record(static_cast<int>(e + 1), losses[e]);
      r.learning_rate = plateau.adjust_learning_rate(1.0);
      out.push_back(r.learning_rate);
      EXPECT_TRUE(plateau.on_epoch_end(r, *ex.model));
    }
    return out;
  };
  EXPECT_EQ(rates("keras"), (std::vector<double>{1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2}));
  EXPECT_EQ(rates("pytorch")[5], 0.5);
  EXPECT_EQ(rates("pytorch")[4], 1.0);
  EXPECT_EQ(error_of([&] { build_experiment(xor_spec(dir_, R"([{"type": "reduce_lr_on_plateau", "rules": "tf"}])"), registry()); }),
            fmt::format("{}: callbacks[0]: parameter 'rules' must be \"pytorch\" or \"keras\", got \"tf\"", (dir_ / "spec.json").string()));
}

// A callback's parameters as Keras's callbacks name them are pointed to nnplug's.
TEST_F(Callbacks, KerassParameterNamesArePointedToNnplugs) {
  EXPECT_EQ(error_of([&] { build_experiment(xor_spec(dir_, R"([{"type": "early_stopping", "restore_best_weights": true}])"), registry()); }),
            fmt::format("{}: callbacks[0]: unknown parameter 'restore_best_weights' (it takes: min_delta, monitor, patience, restore_best, type) "
                        "(Keras's 'restore_best_weights' is nnplug's 'restore_best')",
                        (dir_ / "spec.json").string()));
  EXPECT_NE(error_of([&] { build_experiment(xor_spec(dir_, R"([{"type": "reduce_lr_on_plateau", "min_delta": 0.01, "mode": "min"}])"), registry()); })
                .find("(Keras's 'min_delta' is reduce_lr_on_plateau's 'threshold' with \"threshold_mode\": \"abs\"; Keras's 'mode' is the "
                      "monitor's own direction in nnplug: losses fall and accuracies rise)"),
            std::string::npos);
}

// A schedule scales the optimizer's rate as the trainer found it, in every fit: a second fit that goes on from epoch
// 3 trains at the schedule's rate for epoch 3, not at that rate times the rate the first fit ended with.
TEST_F(Callbacks, ASecondFitDoesNotScheduleTheScheduledRateAgain) {
  Spec spec = xor_spec(dir_, "[]");
  spec.set(R"(schedule={"type": "step", "step_size": 1, "gamma": 0.5})");
  auto ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  ex.fit.epochs = 2;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  EXPECT_NEAR(trainer.fit(ex.train, nullptr, ex.fit).back().learning_rate, 0.05, 1e-15);
  ex.fit.initial_epoch = 2, ex.fit.epochs = 3;
  EXPECT_NEAR(trainer.fit(ex.train, nullptr, ex.fit).back().learning_rate, 0.025, 1e-15);
}

TEST_F(Callbacks, MonitoringValidationWithoutAValidationSetIsABuildTimeError) {
  Spec spec = xor_spec(dir_, R"([{"type": "early_stopping"}])");
  spec.set("data.validation_split=0");
  EXPECT_THROW(build_experiment(spec, registry()), InvalidArgument);
  EXPECT_THROW(build_experiment(xor_spec(dir_, R"([{"type": "early_stopping", "monitor": "val_los"}])"), registry()), InvalidArgument);
}

TEST_F(Callbacks, ANanLossNamesWhereTheFirstNonFiniteValueAppeared) {
  auto ex = build_experiment(xor_spec(dir_, "[]"), registry());
  ex.fit.progress = false;
  Parameter* w2 = ex.model->parameters(false)[2];  // the second dense layer's weight
  auto values = to_host<double>(w2->value);
  values[3] = std::nan("");
  from_host(w2->value, values);
  try {
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "epoch 1, batch 1: the loss is nan (the first non-finite value: layers[1] (dense) weight); "
                                     "lower the learning rate or check the data");
  }
}

// Weights of 1e30 and lr 0: the training samples (about 1) give logits near 1e30, finite in float32; validation
// samples of 1e30 give products of 1e60, an infinity, and a NaN loss.
TEST_F(Callbacks, ANonFiniteValidationLossStopsTraining) {
  Spec spec = xor_spec(dir_, "[]");
  spec.set(R"(layers=[{"type": "dense", "units": 2}])");
  spec.set("optimizer.lr=0");
  auto ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  for (Parameter* p : ex.model->parameters(false)) from_host(p->value, std::vector<double>(static_cast<std::size_t>(p->value.numel()), 1e30));
  Dataset overflowing = ex.validation;
  overflowing.x.visit([](auto& values) {
    for (auto& v : values) v = 1e30f;
  });
  try {
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &overflowing, ex.fit);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "epoch 1: the validation loss is nan though the weights are finite: the model's outputs overflow on "
                                     "validation samples; lower the learning rate or check the data");
  }
}

}  // namespace
}  // namespace nnplug::test

namespace nnplug::test {
namespace {

// A run resumed from the checkpoint of epoch 2 ends with exactly the weights of the same run uninterrupted:
// dropout masks, Adam's moments and step count, the schedule and the batch order all carry over, in a chain and
// in a graph (a branch with dropout and batch norm, merged twice); and with gradient accumulation, whose schedule
// by step counts updates.
TEST_F(Callbacks, AResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  for (const int accumulation : {1, 3})
  for (const char* layers : {R"([{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.3},
                                 {"type": "batch_norm"}, {"type": "dense", "units": 2}])",
                             R"([{"name": "h", "type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.3},
                                 {"name": "bn", "type": "batch_norm"}, {"name": "sum", "type": "add", "inputs": ["bn", "h"]},
                                 {"type": "concat", "inputs": ["sum", "input"]}, {"type": "dense", "units": 2}])"}) {
    SCOPED_TRACE(fmt::format("{}, gradient_accumulation_steps {}", layers, accumulation));
    const std::string callbacks = R"([{"type": "checkpoint", "path": "ckpt-{epoch}.safetensors"}])";
    auto spec = [&] {
      Spec s = xor_spec(dir_, callbacks);
      s.set(std::string("layers=") + layers);
      s.set(R"(optimizer={"type": "adam", "lr": 0.01})");
      s.set(accumulation == 1 ? R"(schedule={"type": "cosine", "T_max": 4})" : R"(schedule={"type": "inverse_time", "decay": 0.1})");
      s.set("training.epochs=4");
      s.set(fmt::format("training.gradient_accumulation_steps={}", accumulation));
      return s;
    };
    auto straight = build_experiment(spec(), registry());
    straight.fit.progress = false;
    Trainer(*straight.model, straight.loss, straight.optimizer).fit(straight.train, &straight.validation, straight.fit);

    auto resumed = build_experiment(spec(), registry());
    resumed.fit.progress = false;
    Trainer trainer(*resumed.model, resumed.loss, resumed.optimizer);
    resumed.fit.initial_epoch = restore_checkpoint(dir_ / "ckpt-2.safetensors", spec(), *resumed.model, *resumed.optimizer).epoch;
    EXPECT_EQ(resumed.fit.initial_epoch, 2);
    EXPECT_NE(weights(*resumed.model), weights(*straight.model));  // halfway
    const auto history = trainer.fit(resumed.train, &resumed.validation, resumed.fit);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history.front().epoch, 3);
    EXPECT_EQ(weights(*resumed.model), weights(*straight.model));  // bit for bit
  }
}

// The callbacks' state carries over too: the plateau's reduced rate, the moving average of the weights, lookahead's
// slow weights and its 2 steps since they moved, early stopping's best weights and patience spent, the history's
// lines. A run resumed from epoch 2 trains epochs 3 and 4 at the rates of the uninterrupted one and ends with its
// weights, bit for bit, and its history file holds epochs 1 and 2 as the uninterrupted run wrote them; restored
// without that state, it would not.
TEST_F(Callbacks, AResumedRunGoesOnWithItsCallbacksState) {
  const auto spec = [&] {
    Spec s = xor_spec(dir_, R"([{"type": "early_stopping", "patience": 3}, {"type": "ema", "decay": 0.9}, {"type": "lookahead", "k": 5},
                                {"type": "reduce_lr_on_plateau", "monitor": "loss", "patience": 0, "threshold": 1e9, "threshold_mode": "abs"},
                                {"type": "checkpoint", "path": "ckpt-{epoch}.safetensors"}, {"type": "checkpoint", "path": "best.safetensors",
                                 "best_only": true}, {"type": "history", "path": "h.csv"}])");
    s.set("training.epochs=4");
    return s;
  };
  auto straight = build_experiment(spec(), registry());
  straight.fit.progress = false;
  const auto whole = Trainer(*straight.model, straight.loss, straight.optimizer).fit(straight.train, &straight.validation, straight.fit);
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_NEAR(whole[3].learning_rate, 0.1 * 0.01, 1e-15);  // cut after epochs 2 and 3
  const auto history_lines = [&] {
    std::vector<std::string> lines;
    std::ifstream in(dir_ / "h.csv");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  const auto straight_history = history_lines();
  ASSERT_EQ(straight_history.size(), 5u);

  for (const bool with_state : {true, false}) {
    auto resumed = build_experiment(spec(), registry());
    resumed.fit.progress = false;
    Trainer trainer(*resumed.model, resumed.loss, resumed.optimizer);
    resumed.fit.initial_epoch = restore_checkpoint(dir_ / "ckpt-2.safetensors", spec(), *resumed.model, *resumed.optimizer,
                                                   with_state ? resumed.fit.callbacks : std::vector<std::shared_ptr<Callback>>{})
                                    .epoch;
    const auto rest = trainer.fit(resumed.train, &resumed.validation, resumed.fit);
    ASSERT_EQ(rest.size(), 2u);
    if (with_state) {
      EXPECT_EQ(rest[0].learning_rate, whole[2].learning_rate);
      EXPECT_EQ(rest[1].learning_rate, whole[3].learning_rate);
      EXPECT_EQ(weights(*resumed.model), weights(*straight.model));
      const auto resumed_history = history_lines();
      ASSERT_EQ(resumed_history.size(), 5u);
      EXPECT_EQ(std::vector<std::string>(resumed_history.begin(), resumed_history.begin() + 3),
                std::vector<std::string>(straight_history.begin(), straight_history.begin() + 3));
    } else {
      EXPECT_NE(rest[1].learning_rate, whole[3].learning_rate);
      EXPECT_NE(weights(*resumed.model), weights(*straight.model));
    }
  }
}

TEST_F(Callbacks, ACheckpointWhoseCountsAreNotWholeNumbersIsRefused) {
  auto ex = build_experiment(xor_spec(dir_, R"([{"type": "checkpoint", "path": "c.safetensors"}])"), registry());
  ex.fit.progress = false;
  ex.fit.epochs = 1;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  const auto path = dir_ / "c.safetensors";
  for (const auto& [key, value, shown] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nnplug.epoch", "-3", "-3"}, {"nnplug.epoch", "12abc", "12abc"}, {"nnplug.epoch", "99999999999", "99999999999"},
           {"nnplug.optimizer_steps", "1e9", "1e9"}, {"nnplug.optimizer_steps", std::string(100, '7'), fmt::format("{}... (100 characters)", std::string(80, '7'))}}) {
    auto file = read_safetensors(path);
    const auto original = file.metadata[key];
    file.metadata[key] = value;
    write_safetensors(path, file);
    try {
      restore_checkpoint(path, xor_spec(dir_, "[]"), *ex.model, *ex.optimizer);
      ADD_FAILURE() << key << " = " << value << " was accepted";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("{} is \"{}\", not a whole number in [0, ", key, shown)), std::string::npos) << e.what();
    }
    file.metadata[key] = original;
    write_safetensors(path, file);
  }
}

// A callback state of the wrong shape or type is named, never trusted.
TEST_F(Callbacks, ADamagedCallbackStateIsRefusedNamingTheCallback) {
  const char* callbacks = R"([{"type": "ema", "decay": 0.9}, {"type": "checkpoint", "path": "c.safetensors"}])";
  auto ex = build_experiment(xor_spec(dir_, callbacks), registry());
  ex.fit.progress = false;
  ex.fit.epochs = 1;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  const auto path = dir_ / "c.safetensors";
  const SafetensorsFile saved = read_safetensors(path);
  for (const auto& [metadata, fragment] : std::vector<std::pair<std::string, std::string>>{
           {R"({"kind": "ema"})", "damaged metadata: nnplug.callbacks is [{\"kind\":\"ema\"},"},
           {R"({"kind": "ema", "values": {}, "weights": 5})", "holds 3 model tensors, the model has 4 parameters"},
           {R"({"kind": "ema", "values": {}, "weights": 4, "renamed": true})",
            "the state of callback 0 (ema) needs tensor 'callbacks.0.3' of float64 values, which is missing"},
           {R"({"kind": "checkpoint", "values": {"have_best": "yes", "best": 1}, "weights": 0})",
            "damaged metadata: nnplug.callbacks[1] (checkpoint): [json.exception.type_error.302]"}}) {
    SafetensorsFile file = saved;
    for (auto& t : file.tensors)  // the EMA's average of the last parameter stored under another name
      if (metadata.find("renamed") != std::string::npos && t.name == "callbacks.0.3") t.name = "callbacks.0.9";
    auto entries = Params::Json::parse(file.metadata["nnplug.callbacks"]);
    const auto entry = Params::Json::parse(metadata);
    entries[entry["kind"] == "ema" ? 0 : 1] = entry;
    file.metadata["nnplug.callbacks"] = entries.dump();
    write_safetensors(path, file);
    auto fresh = build_experiment(xor_spec(dir_, callbacks), registry());
    const std::string error = error_of([&] { restore_checkpoint(path, xor_spec(dir_, callbacks), *fresh.model, *fresh.optimizer, fresh.fit.callbacks); });
    EXPECT_NE(error.find(fragment), std::string::npos) << error;
    EXPECT_EQ(error.rfind(path.string(), 0), 0u) << error;
  }
}

TEST_F(Callbacks, ACheckpointOfOtherLayersIsRefused) {
  auto ex = build_experiment(xor_spec(dir_, R"([{"type": "checkpoint", "path": "c.safetensors"}])"), registry());
  ex.fit.progress = false;
  ex.fit.epochs = 1;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.validation, ex.fit);
  Spec other = xor_spec(dir_, "[]");
  other.set("layers.0.units=9");
  auto ex2 = build_experiment(other, registry());
  Trainer t2(*ex2.model, ex2.loss, ex2.optimizer);
  try {
    restore_checkpoint(dir_ / "c.safetensors", other, *ex2.model, *ex2.optimizer);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("{}: was written for other layers than {} has (layers[0].units: 8 in the checkpoint, 9 in {})",
                          (dir_ / "c.safetensors").string(), (dir_ / "spec.json").string(), (dir_ / "spec.json").string()));
  }
}

}  // namespace
}  // namespace nnplug::test
