// nnplug as a library: the typed builders write the JSON a spec holds, a Network built from them trains as the
// same spec does, predicts, saves and loads; misuse is an error that says what to call first.
#include <gtest/gtest.h>

#include <unistd.h>

#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "nnplug/framework/network.hpp"
#include "nnplug/framework/synthetic.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// Three Gaussian blobs in 4 dimensions: 240 samples for training (part 0) and 240 more from the same blobs (part 1).
Dataset blobs(int part) {
  static const auto halves = split(synthetic::gaussian_blobs(480, 3, 4, 1.0, 1), 0.5, 9);
  return part == 0 ? halves.first : halves.second;
}

nn::Sequential mlp() { return nn::Sequential{nn::Dense(16).activation("tanh").name("h"), nn::Dense(3).name("out")}; }

TEST(Builders, WriteTheJsonASpecHolds) {
  const nn::Sequential layers{nn::Conv2d(8, 3).set("padding", 1).name("c").activation("relu"), nn::BatchNorm(),
                              nn::Add({"c", "input"}), nn::Subtract({"c", "input"}), nn::Average({"c", "input"}), nn::Concat({"c", "input"}, -1), nn::Flatten(), nn::Reshape({2, -1}), nn::LayerNorm(),
                              nn::Dropout(0.25), nn::SpatialDropout(0.1), nn::StochasticDepth(0.2), nn::PixelUnshuffle(2), nn::PixelShuffle(2), nn::ConvTranspose2d(4, 3).set("stride", 2), nn::Upsample2d(), nn::AdaptiveAvgPool2d({7, 7}), nn::AdaptiveMaxPool2d({2, 3}), nn::ZeroPadding2d(1), nn::Cropping2d(2), nn::Cropping1d(1, 2),
                              nn::Padding2d(2, "reflect"), nn::Padding1d(1), nn::LSTM(8).set("return_sequences", true), nn::GRU(4), nn::RNN(2), nn::Embedding(100, 8),
                              nn::Conv1d(6, 3), nn::ConvTranspose1d(6, 4).set("stride", 2), nn::Upsample1d(3), nn::RepeatVector(5), nn::Glu(1), nn::ChannelShuffle(2), nn::MaxPool1d().set("data_format", "channels_last"), nn::AvgPool1d(3), nn::GlobalAvgPool1d(),
                              nn::GlobalMaxPool1d(), nn::Rescaling(0.5, -1), nn::Normalization({0, 1}, {1, 4}).set("axis", 1),
                              nn::Permute({2, 1}), nn::MultiHeadAttention(4).set("causal", true),
                              nn::PositionEmbedding(), nn::LayerNorm({64}), nn::GroupNorm(8), nn::InstanceNorm(),
                              nn::Dense(10).regularizer("weight", nn::Component("l2", {{"lambda", 1e-4}})).constraint("weight", "non_neg"),
                              nn::Layer("my_plugin_layer").set("width", 3)};
  EXPECT_EQ(layers.json(), Params::Json::parse(R"([
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": 1, "name": "c", "activation": {"type": "relu"}},
    {"type": "batch_norm"}, {"type": "add", "inputs": ["c", "input"]}, {"type": "subtract", "inputs": ["c", "input"]},
    {"type": "average", "inputs": ["c", "input"]}, {"type": "concat", "axis": -1, "inputs": ["c", "input"]},
    {"type": "flatten"}, {"type": "reshape", "shape": [2, -1]}, {"type": "layer_norm"}, {"type": "dropout", "rate": 0.25}, {"type": "spatial_dropout", "rate": 0.1}, {"type": "stochastic_depth", "rate": 0.2},
    {"type": "pixel_unshuffle", "downscale_factor": 2}, {"type": "pixel_shuffle", "upscale_factor": 2},
    {"type": "conv2d_transpose", "filters": 4, "kernel_size": 3, "stride": 2}, {"type": "upsample2d", "scale_factor": 2},
    {"type": "adaptive_avg_pool2d", "output_size": [7, 7]}, {"type": "adaptive_max_pool2d", "output_size": [2, 3]},
    {"type": "zero_padding2d", "padding": 1}, {"type": "cropping2d", "cropping": 2}, {"type": "cropping1d", "cropping": [1, 2]},
    {"type": "padding2d", "padding": 2, "mode": "reflect"}, {"type": "padding1d", "padding": 1, "mode": "zeros"}, {"type": "lstm", "units": 8, "return_sequences": true}, {"type": "gru", "units": 4}, {"type": "rnn", "units": 2},
    {"type": "embedding", "input_dim": 100, "output_dim": 8},
    {"type": "conv1d", "filters": 6, "kernel_size": 3}, {"type": "conv1d_transpose", "filters": 6, "kernel_size": 4, "stride": 2},
    {"type": "upsample1d", "scale_factor": 3}, {"type": "repeat_vector", "n": 5}, {"type": "glu", "dim": 1}, {"type": "channel_shuffle", "groups": 2},
    {"type": "max_pool1d", "pool_size": 2, "data_format": "channels_last"},
    {"type": "avg_pool1d", "pool_size": 3}, {"type": "global_avg_pool1d"}, {"type": "global_max_pool1d"},
    {"type": "rescaling", "scale": 0.5, "offset": -1}, {"type": "normalization", "mean": [0, 1], "variance": [1, 4], "axis": 1},
    {"type": "permute", "dims": [2, 1]},
    {"type": "multi_head_attention", "num_heads": 4, "causal": true},
    {"type": "position_embedding"}, {"type": "layer_norm", "normalized_shape": [64]}, {"type": "group_norm", "num_groups": 8},
    {"type": "instance_norm"},
    {"type": "dense", "units": 10, "weight_regularizer": {"type": "l2", "lambda": 1e-4}, "weight_constraint": {"type": "non_neg"}},
    {"type": "my_plugin_layer", "width": 3}])"));
  EXPECT_EQ(nn::Component(nn::Adam{.lr = 0.01}).json(),
            Params::Json::parse(R"({"type": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": false})"));
  EXPECT_FALSE(nn::Component(nn::Sgd{}).json().contains("lr"));  // required, as in PyTorch: the plugin says so
  EXPECT_EQ(nn::Component(nn::Adafactor{}).json(),
            Params::Json::parse(R"({"type": "adafactor", "lr": 1e-2, "beta2_decay": -0.8, "eps": [null, 1e-3], "d": 1.0, "weight_decay": 0.0})"));
  EXPECT_EQ(nn::Component(nn::NAdam{.momentum_decay = 0.01}).json(),
            Params::Json::parse(R"({"type": "nadam", "lr": 2e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 0.01})"));
  for (const nn::Component& optimizer : {nn::Component(nn::NAdam{}), nn::Component(nn::Adamax{.weight_decay = 0.1}),
                                         nn::Component(nn::Lion{.weight_decay = 0.1}), nn::Component(nn::Lamb{.weight_decay = 0.01}),
                                         nn::Component(nn::Lars{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4}),
                                         nn::Component(nn::Adafactor{}), nn::Component(nn::Adafactor{.eps1 = 1e-30, .weight_decay = 0.01}),
                                         nn::Component(nn::Rprop{.etas = {0.4, 1.3}}), nn::Component(nn::Asgd{.t0 = 100}),
                                         nn::Component(nn::Ftrl{.l1_regularization_strength = 0.01, .beta = 0.1})})
    EXPECT_NO_THROW(registry().create_optimizer(Params("test", optimizer.json()))) << optimizer.json();  // a plugin refuses what it does not know
}

// Each typed initializer, penalty, constraint and schedule is accepted by its plugin (which refuses a parameter
// it does not know); the schedules give torch.optim.lr_scheduler's closed forms.
TEST(Builders, ComponentsAreAcceptedByTheirPluginsAndComputeAsTheyShould) {
  const auto json = [](const nn::Component& c) { return c.json(); };
  for (const nn::Component& init : std::vector<nn::Component>{nn::Zeros{}, nn::Constant{.value = 0.5}, nn::Normal{.std = 0.1},
                                                             nn::Uniform{.a = -1}, nn::XavierUniform{.gain = 2}, nn::XavierNormal{},
                                                             nn::HeUniform{.mode = "fan_out"}, nn::HeNormal{}})
    EXPECT_NO_THROW(registry().create_initializer(Params("test", init.json()))) << init.json();
  for (const nn::Component& r : std::vector<nn::Component>{nn::L1{.lambda = 1e-4}, nn::L2{.lambda = 1e-4}, nn::ElasticNet{.l1 = 1e-5},
                                                          nn::MaxNorm{.max_value = 3}, nn::NonNeg{}, nn::UnitNorm{}})
    EXPECT_NO_THROW(registry().create_regularizer(Params("test", r.json()))) << r.json();
  EXPECT_EQ(nn::Dense(4).init("weight", nn::HeNormal{}).json()["weight_init"], json(nn::HeNormal{}));

  const auto lr_at = [](const nn::Component& schedule, std::int64_t epoch) {
    return registry().create_schedule(Params("test", schedule.json()))->learning_rate(0.1, epoch, 0);
  };
  EXPECT_NEAR(lr_at(nn::StepLR{.step_size = 2, .gamma = 0.5}, 5), 0.1 * 0.25, 1e-15);
  EXPECT_NEAR(lr_at(nn::ExponentialLR{.gamma = 0.9}, 3), 0.1 * 0.729, 1e-15);
  EXPECT_NEAR(lr_at(nn::CosineAnnealingLR{.T_max = 4, .eta_min = 0.02}, 2), 0.06, 1e-15);
  EXPECT_NEAR(lr_at(nn::LinearWarmup{.start_factor = 0.5, .total_iters = 4}, 2), 0.1 * 0.75, 1e-15);
  EXPECT_NEAR(lr_at(nn::MultiStepLR{.milestones = {2, 4}, .gamma = 0.5}, 5), 0.1 * 0.25, 1e-15);
  EXPECT_NEAR(lr_at(nn::PolynomialLR{.total_iters = 4, .power = 2}, 2), 0.1 * 0.25, 1e-15);
  // Cycles of 2 then 4 epochs: epoch 3 is a quarter into the second, 0.1 (1 + cos(pi / 4)) / 2.
  EXPECT_NEAR(lr_at(nn::CosineAnnealingWarmRestarts{.T_0 = 2, .T_mult = 2}, 3), 0.05 * (1 + std::sqrt(0.5)), 1e-15);
  EXPECT_NEAR(lr_at(nn::OneCycleLR{.total_steps = 100}, 0), 0.1 / 25, 1e-15);  // its first step, from max_lr / div_factor
  // Half way up its second cycle of 8 steps, whose height triangular2 halves: 0.1 + 0.4 / 2 / 2, at step 10.
  EXPECT_NEAR(registry().create_schedule(Params("test", nn::Component(nn::CyclicLR{.max_lr = 0.5, .step_size_up = 4, .mode = "triangular2"}).json()))
                  ->learning_rate(0.1, 0, 10),
              0.2, 1e-15);
  EXPECT_NEAR(lr_at(nn::SequentialLR{.schedules = {nn::LinearWarmup{.start_factor = 0.5, .total_iters = 4}, nn::CosineAnnealingLR{.T_max = 4}},
                                     .milestones = {4}}, 6), 0.05, 1e-15);  // half way down the cosine

  // A required value left unset is the plugin's own error, naming the field.
  for (const auto& incomplete : std::vector<std::pair<nn::Component, std::string>>{
           {nn::StepLR{}, "step_size"}, {nn::ExponentialLR{}, "gamma"}, {nn::CosineAnnealingLR{}, "T_max"},
           {nn::CosineAnnealingWarmRestarts{}, "T_0"}}) {
    const nn::Json spec = incomplete.first.json();  // not a structured binding: clang 14's lambdas cannot capture one
    EXPECT_NE(error_of([&] { registry().create_schedule(Params("test", spec)); }).find(fmt::format("parameter '{}' is required", incomplete.second)),
              std::string::npos) << incomplete.second;
  }
  EXPECT_NE(error_of([&] { registry().create_regularizer(Params("test", json(nn::L2{}))); }).find("lambda"), std::string::npos);
  EXPECT_NE(error_of([&] { registry().create_initializer(Params("test", json(nn::Constant{}))); }).find("value"), std::string::npos);
}

// The same layers, loss, optimizer and seed written as a spec train to the same weights.
TEST(Network, BuiltFromBuildersItTrainsAsTheSameSpec) {
  const Dataset train = blobs(0);
  Network built(mlp(), registry());
  built.compile(nn::Adam{.lr = 0.01}, "softmax_cross_entropy", {.seed = 7});
  Network from_spec = Network::from_spec(parse_spec(R"({"seed": 7, "layers": [{"type": "dense", "units": 16, "activation": "tanh", "name": "h"},
      {"type": "dense", "units": 3, "name": "out"}], "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}})", "spec.json"),
                                         registry());
  const auto a = built.fit(train, {.epochs = 3, .batch_size = 16, .progress = false});
  const auto b = from_spec.fit(train, {.epochs = 3, .batch_size = 16, .progress = false});
  ASSERT_EQ(a.size(), 3u);
  for (std::size_t e = 0; e < a.size(); ++e) EXPECT_EQ(a[e].train.loss, b[e].train.loss) << e;
  EXPECT_GT(built.evaluate(blobs(1)).score, 0.9);
  EXPECT_EQ(built.model().parameter_name(0, *built.model().layer(0).parameters()[0]), "h.weight");
}

// A spec's training section, schedule and callbacks apply to fit(); FitArgs replace what they set.
TEST(Network, FitTakesWhatTheSpecSaysUnlessToldOtherwise) {
  Network net = Network::from_spec(parse_spec(R"({"layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy",
      "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 3, "batch_size": 60},
      "schedule": {"type": "step", "step_size": 1, "gamma": 0.5}, "callbacks": [{"type": "early_stopping", "monitor": "loss", "patience": 50}]})",
                                              "spec.json"),
                                   registry());
  const auto history = net.fit(blobs(0), {.progress = false});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_DOUBLE_EQ(history[0].learning_rate, 0.1);  // the schedule's value in the epoch's last step: 4 steps of 60, halved each epoch
  EXPECT_DOUBLE_EQ(history[2].learning_rate, 0.025);
  EXPECT_EQ(net.fit(blobs(0), {.epochs = 1, .progress = false}).size(), 1u);
  EXPECT_NE(error_of([&] { Network::from_spec(parse_spec(R"({"layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy", "optimizer": "adam", "training": {"epoch": 3}})",
                                                         "spec.json"), registry()).fit(blobs(0)); })
                .find("spec.json: training: unknown parameter 'epoch'"),
            std::string::npos);
}

// A spec whose data section standardizes its samples does so for arrays too: the first fit() fits the statistics on
// its samples, as nnplug train fits them on its training set, and every later call brings samples through them;
// whether or not build() came first.
TEST(Network, TheSpecsPreprocessingIsFittedOnTheFirstFitsSamples) {
  for (const bool built_first : {false, true}) {
    SCOPED_TRACE(built_first ? "built before the first fit" : "built by the first fit");
    Network net = Network::from_spec(parse_spec(R"({"seed": 3, "data": {"standardize": "per_feature"}, "layers": [{"type": "dense", "units": 3}],
        "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05}})", "spec.json"), registry());
    if (built_first) net.build(Shape{4});
    const auto shifted = [](Dataset d) {  // the first feature a thousand away, where only standardization brings it back
      std::vector<float> x(d.x.size());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(d.x[i] + (i % 4 == 0 ? 1000.0 : 0.0));
      d.x = SampleValues(std::move(x));
      return d;
    };
    const Dataset train = shifted(blobs(0)), test = shifted(blobs(1));
    net.fit(train, {.epochs = 5, .batch_size = 16, .progress = false});
    // The statistics, worked out here in double over the training samples (population std, as the fit uses).
    std::vector<double> mean(4, 0.0), sq(4, 0.0);
    const auto n = static_cast<double>(train.size());
    for (std::size_t i = 0; i < train.x.size(); ++i) mean[i % 4] += train.x[i] / n;
    for (std::size_t i = 0; i < train.x.size(); ++i) sq[i % 4] += (train.x[i] - mean[i % 4]) * (train.x[i] - mean[i % 4]) / n;
    Dataset by_hand = test;
    std::vector<float> x(test.x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((test.x[i] - mean[i % 4]) / (std::sqrt(sq[i % 4]) + 1e-8));
    by_hand.x = SampleValues(std::move(x));
    const auto raw = net.predict(test, true).values, expected = Trainer(net.model(), nullptr, nullptr).predict(by_hand, 256);
    ASSERT_EQ(raw.size(), expected.size());
    for (std::size_t i = 0; i < raw.size(); ++i) EXPECT_NEAR(raw[i], expected[i], 1e-4) << i;
    EXPECT_GT(net.evaluate(test).score, 0.9);
  }
}

// compile() takes a schedule and gradient transforms, and fit() nnplug's own callbacks, by plugin name.
TEST(Network, SchedulesTransformsAndBuiltInCallbacksComeAsComponents) {
  Network net(mlp(), registry());
  net.compile(nn::Sgd{.lr = 0.2}, "softmax_cross_entropy",
              {.schedule = nn::Component("step", {{"step_size", 1}, {"gamma", 0.5}}), .gradient_transforms = {nn::Component("clip_norm", {{"max_norm", 1.0}})}});
  EXPECT_EQ(net.spec().json["gradient_transforms"][0]["type"], "clip_norm");
  const Dataset validation = blobs(1);
  const auto history = net.fit(blobs(0), {.epochs = 6, .validation = &validation, .progress = false,
                                          .builtin_callbacks = {nn::Component("early_stopping", {{"monitor", "loss"}, {"patience", 1}, {"min_delta", 10.0}})}});
  EXPECT_EQ(history.size(), 2u);  // no epoch improves the loss by 10: stopped after patience 1
  EXPECT_DOUBLE_EQ(history[1].learning_rate, 0.1);
  EXPECT_NE(error_of([&] { net.compile(nn::Adam{}, "softmax_cross_entropy", {.schedule = nn::Component("no_such_schedule")}); }).find("no_such_schedule"),
            std::string::npos);
  EXPECT_NE(error_of([&] { net.fit(blobs(0), {.progress = false, .builtin_callbacks = {nn::Component("early_stopping")}}); })
                .find("val_loss"),
            std::string::npos);  // it monitors val_loss by default, and there is no validation set
}

TEST(Network, PredictsProbabilitiesClassesAndLogitsAndSavesAndLoads) {
  Network net(mlp(), registry());
  net.compile(nn::Sgd{.lr = 0.1, .momentum = 0.9}, "softmax_cross_entropy");
  net.fit(blobs(0), {.epochs = 2, .batch_size = 16, .progress = false});
  const Dataset test = blobs(1);
  const Predictions p = net.predict(test);
  ASSERT_EQ(p.rows, test.size());
  ASSERT_EQ(p.columns, 3);
  const Predictions logits = net.predict(test, true);
  const auto classes = net.predict_classes(test);
  for (std::int64_t r = 0; r < p.rows; ++r) {
    EXPECT_NEAR(p.at(r, 0) + p.at(r, 1) + p.at(r, 2), 1.0, 1e-5);
    // softmax by its definition from the logits
    double z = 0;
    for (std::int64_t c = 0; c < 3; ++c) z += std::exp(logits.at(r, c));
    EXPECT_NEAR(p.at(r, 1), std::exp(logits.at(r, 1)) / z, 1e-5);
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < 3; ++c) best = p.at(r, c) > p.at(r, best) ? c : best;
    EXPECT_EQ(classes[static_cast<std::size_t>(r)], best);
  }
  const fs::path file = fs::temp_directory_path() / fmt::format("nnplug_network_{}.safetensors", ::getpid());
  net.save(file);
  Network loaded = Network::load(file, registry());
  fs::remove(file);
  EXPECT_EQ(loaded.predict(test, true).values, logits.values);
  EXPECT_EQ(loaded.spec().json["optimizer"]["type"], "sgd");  // the builders' spec, saved with the model
}

TEST(Network, CallbacksAreCallablesThatMayStopTraining) {
  Network net(mlp(), registry());
  net.compile(nn::Adam{}, "softmax_cross_entropy");
  std::vector<int> seen;
  const auto history = net.fit(blobs(0), {.epochs = 5, .progress = false, .callbacks = {[&](const EpochRecord& r) {
                                            seen.push_back(r.epoch);
                                            return r.epoch < 2;
                                          }}});
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_EQ(history.size(), 2u);
  // A callback that throws ends fit() with its exception, and the network stays usable.
  EXPECT_EQ(error_of([&] { net.fit(blobs(0), {.progress = false, .callbacks = {[](const EpochRecord&) -> bool { throw Error("stop here"); }}}); }),
            "stop here");
  EXPECT_EQ(net.predict_classes(blobs(1)).size(), 240u);
}

// A block defined on the layers and used by nn::Block, here one of two inputs: the spec's entry, and the model's nodes
// named by the instance's module path.
TEST(Builders, ABlockIsDefinedAndUsedFromTheBuilders) {
  nn::Sequential layers{nn::Dense(3).name("s"), nn::Block("gate").name("g").inputs({"input", "s"}).set("units", 3)};
  layers.block("gate", Params::Json::parse(R"({"inputs": ["x", "side"], "params": {"units": null},
    "layers": [{"name": "fc", "type": "dense", "units": "$units"}, {"name": "mix", "type": "multiply", "inputs": ["fc", "side"]}]})"));
  EXPECT_EQ(layers.json()[1], Params::Json::parse(R"({"block": "gate", "name": "g", "inputs": ["input", "s"], "units": 3})"));
  Network net(layers, registry());
  net.build(Shape{3});
  const Model& model = net.model();
  ASSERT_EQ(model.size(), 3u);
  EXPECT_EQ(model.label(1), "g.fc (dense)");
  EXPECT_EQ(model.inputs(1), (std::vector<std::size_t>{Model::kInput}));
  EXPECT_EQ(model.label(2), "g.mix (multiply)");
  EXPECT_EQ(model.inputs(2), (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(net.spec().json["blocks"]["gate"]["inputs"], Params::Json::parse(R"(["x", "side"])"));
}

TEST(Network, MisuseSaysWhatToCallFirst) {
  Network net(mlp(), registry());
  EXPECT_NE(error_of([&] { net.predict(blobs(0), true); }).find("the network is not built yet: call fit(), or build(sample_shape) first"), std::string::npos);
  EXPECT_NE(error_of([&] { net.fit(blobs(0)); }).find("fit() needs a loss and an optimizer: call compile(optimizer, loss) first"), std::string::npos);
  net.build(Shape{4});
  EXPECT_NE(error_of([&] { net.evaluate(blobs(0)); }).find("evaluate() needs a loss: call compile(optimizer, loss) first"), std::string::npos);
  EXPECT_NE(error_of([&] { net.predict(blobs(0)); }).find("call compile(optimizer, loss) first, or ask for logits"), std::string::npos);
  EXPECT_EQ(net.predict(blobs(0), true).columns, 3);  // logits need no loss
  EXPECT_NE(error_of([&] { net.compile(nn::Sgd{}, "softmax_cross_entropy"); }).find("lr"), std::string::npos);
  EXPECT_NE(error_of([&] { net.compile(nn::Adam{}, "no_such_loss"); }).find("no_such_loss"), std::string::npos);
  EXPECT_NE(error_of([&] { net.compile(nn::Adam{}, "mse", {.dtype = DType::Float64}); }).find("the network is built already, in float32"),
            std::string::npos);
  net.compile(nn::Adam{}, "softmax_cross_entropy");
  Dataset wrong = synthetic::gaussian_blobs(20, 3, 5, 1.0, 1);
  EXPECT_NE(error_of([&] { net.fit(wrong, {.progress = false}); }).find("fit: samples of shape [5], the network is built for [4]"), std::string::npos);
  Dataset square = blobs(0);
  square.sample_shape = Shape{2, 2};  // as many values, in another shape
  EXPECT_NE(error_of([&] { net.fit(square, {.progress = false}); })
                .find("fit: samples of shape [2, 2], the network is built for [4] (as many values: reshape the samples to it)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Network bad(nn::Sequential{nn::Dense(0)}, registry()); bad.build(Shape{4}); }).find("units"), std::string::npos);
}

// As Keras refuses a layer when the model is written: the layers are made when the network is, before any shape.
TEST(Network, ABadLayerIsRefusedWhenTheNetworkIsMade) {
  EXPECT_EQ(error_of([&] { Network bad(nn::Sequential{nn::Dense(16), nn::Dense(0)}, registry()); }),
            "the network's spec: layers[1] (dense): parameter 'units' must be >= 1, got 0");
  const std::string unknown = error_of([&] { Network bad(nn::Sequential{nn::Layer("no_such_layer")}, registry()); });
  EXPECT_TRUE(unknown.starts_with("the network's spec: layers[0] (no_such_layer): unknown layer 'no_such_layer'; layers and activations available: "))
      << unknown;
  const std::string graph = error_of([&] { Network bad(nn::Sequential{nn::Dense(4).inputs({"nowhere"})}, registry()); });
  EXPECT_NE(graph.find("nowhere"), std::string::npos) << graph;
}

// A builder takes any double, a spec only what JSON can write: a NaN or an infinity is named by its path in the spec.
TEST(Network, NaNsAndInfinitiesInTheBuildersAreRefusedNamingTheField) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  Network net(mlp(), registry());
  EXPECT_EQ(error_of([&] { net.compile(nn::Adam{.betas = {0.9, nan}}, "softmax_cross_entropy"); }),
            "the network's spec: optimizer.betas[1] is not a finite number (nan or inf): a spec takes finite numbers only");
  EXPECT_EQ(error_of([&] { Network bad(nn::Sequential{nn::Dense(4), nn::Layer("dropout").set("rate", -inf)}, registry()); }),
            "the network's spec: layers[1].rate is not a finite number (nan or inf): a spec takes finite numbers only");
  net.compile(nn::Adam{.betas = {0.9, 0.999}}, "softmax_cross_entropy");  // the network is unchanged and takes a good one
  EXPECT_EQ(net.spec().json["optimizer"]["betas"], Params::Json::parse("[0.9, 0.999]"));
  // fit's own components: a sampler's weights (which take any number from 0) and nnplug's callbacks.
  EXPECT_EQ(error_of([&] { net.fit(blobs(0), {.epochs = 1, .progress = false, .sampler = Params::Json{{"weights", {1.0, nan, 1.0}}}}); }),
            "the network's spec: training.sampler.weights[1] is not a finite number (nan or inf): a spec takes finite numbers only");
  EXPECT_EQ(error_of([&] {
              net.fit(blobs(0), {.epochs = 1, .progress = false, .builtin_callbacks = {nn::Component("early_stopping", {{"min_delta", inf}})}});
            }),
            "the network's spec: callbacks[0].min_delta is not a finite number (nan or inf): a spec takes finite numbers only");
}

// A NaN in the first layer's input is made 0 by a ReLU fused into the product (oneDNN's), so the loss stays finite
// while the weight gradient takes the NaN into every weight: arrays are refused on the way in, naming the value.
TEST(Network, NaNsAndInfinitiesInTheDataAreRefusedNamingTheSample) {
  Network net(nn::Sequential{nn::Dense(16).activation("relu"), nn::Dense(3)}, registry());
  net.compile(nn::Adam{}, "softmax_cross_entropy");
  const Dataset clean = blobs(0);
  Dataset nan = clean, inf = clean;
  nan.x.visit([](auto& v) { v[4 * 17 + 2] = std::numeric_limits<std::decay_t<decltype(v[0])>>::quiet_NaN(); });
  inf.x.visit([](auto& v) { v[4 * 3 + 1] = -std::numeric_limits<std::decay_t<decltype(v[0])>>::infinity(); });
  const std::string refused = ": the network takes finite values only; replace or drop such samples";
  EXPECT_EQ(error_of([&] { net.fit(nan, {.epochs = 1, .progress = false}); }), "fit: sample 17 holds nan (value 2 of 4)" + refused);
  EXPECT_EQ(error_of([&] { net.fit(clean, {.epochs = 1, .validation = &inf, .progress = false}); }),
            "fit (validation data): sample 3 holds -inf (value 1 of 4)" + refused);
  net.fit(clean, {.epochs = 1, .progress = false});
  EXPECT_EQ(error_of([&] { net.evaluate(inf); }), "evaluate: sample 3 holds -inf (value 1 of 4)" + refused);
  EXPECT_EQ(error_of([&] { net.predict(nan); }), "predict: sample 17 holds nan (value 2 of 4)" + refused);
}

// A Dataset is a struct a program fills by hand: parts that disagree on the number of samples would be read past
// their end, and a label outside the classes names no sample where the backend finds it. Each is refused by every call.
TEST(Network, ADataSetWhosePartsDisagreeIsRefused) {
  Network net(mlp(), registry());
  net.compile(nn::Adam{}, "softmax_cross_entropy");
  net.fit(blobs(0), {.epochs = 1, .progress = false});
  const double loss = net.evaluate(blobs(1)).loss;
  Dataset short_x = blobs(1), long_x = blobs(1), names = blobs(1), targets = blobs(1), label = blobs(1), below = blobs(1);
  short_x.x = SampleValues(std::vector<float>(4 * 239, 0.5f));
  long_x.x = SampleValues(std::vector<float>(4 * 241, 0.5f));
  names.sample_names = {"a.png"};
  targets.target_width = 3;
  targets.targets.assign(3 * 240 - 1, 0.0f);
  label.labels[17] = 3;
  below.labels[5] = -2;
  const std::string has = "the data set has 240 samples (one label each, -1 where there is none), but ";
  EXPECT_EQ(error_of([&] { net.fit(short_x, {.epochs = 1, .progress = false}); }),
            "fit: " + has + "x holds 956 values, where samples of shape [4] take 960");
  EXPECT_EQ(error_of([&] { net.predict(long_x); }), "predict: " + has + "x holds 964 values, where samples of shape [4] take 960");
  EXPECT_EQ(error_of([&] { net.evaluate(names); }), "evaluate: " + has + "1 sample names");
  EXPECT_EQ(error_of([&] { net.fit(blobs(0), {.epochs = 1, .validation = &targets, .progress = false}); }),
            "fit (validation data): " + has + "targets holds 719 values, where a target_width of 3 takes 720");
  EXPECT_EQ(error_of([&] { net.fit(label, {.epochs = 1, .progress = false}); }),
            "fit: sample 17 has label 3, outside the data set's 3 classes (num_classes; -1 for none)");
  EXPECT_EQ(error_of([&] { net.evaluate(below); }), "evaluate: sample 5 has label -2, outside the data set's 3 classes (num_classes; -1 for none)");
  // A mixup strength that is not a number, or below 0, is refused rather than taken as "off".
  EXPECT_EQ(error_of([&] { net.fit(blobs(0), {.epochs = 1, .progress = false, .mixup_alpha = std::numeric_limits<double>::quiet_NaN()}); }),
            "mixup_alpha must be 0 (off) or above, got nan");
  EXPECT_EQ(error_of([&] { net.fit(blobs(0), {.epochs = 1, .progress = false, .cutmix_alpha = -1.0}); }),
            "cutmix_alpha must be 0 (off) or above, got -1");
  EXPECT_EQ(net.evaluate(blobs(1)).loss, loss);  // no refused call trained a step
}

// The loss of every batch was finite, yet the weights are not (here a callback spoils one after the epoch's last
// step, where no forward pass follows to show it): training stops before validation, the history or a checkpoint
// sees them, naming the parameter.
TEST(Network, WeightsThatBecameNonFiniteStopTrainingAtTheEndOfTheEpoch) {
  Network net(mlp(), registry());
  net.compile(nn::Adam{}, "softmax_cross_entropy");
  const Dataset data = blobs(0), validation = blobs(1);
  int epochs_seen = 0;
  const FitArgs args{.epochs = 3, .batch_size = 60, .validation = &validation, .progress = false,
                     .callbacks = {[&](const EpochRecord&) { return ++epochs_seen, true; }},
                     .batch_callbacks = {[&](const BatchRecord& r) {
                       if (r.epoch == 2 && r.batch == r.batches) {
                         Tensor& w = net.model().parameters().front()->value;
                         std::vector<double> values = to_host<double>(w);
                         values[5] = std::numeric_limits<double>::quiet_NaN();
                         from_host(w, values);
                       }
                       return true;
                     }}};
  EXPECT_EQ(error_of([&] { net.fit(data, args); }),
            "epoch 2: h (dense) weight holds a NaN or an infinity, though the loss of every batch was finite; lower the learning "
            "rate or check the data");
  EXPECT_EQ(epochs_seen, 1);
}

// What crashed before: a Trainer without loss or optimizer asked to predict.
TEST(Network, ATrainerWithoutLossOrOptimizerPredicts) {
  Network net(mlp(), registry());
  net.build(Shape{4});
  Trainer trainer(net.model(), nullptr, nullptr);
  EXPECT_EQ(trainer.predict(blobs(0), 64).size(), 240u * 3);
  EXPECT_THROW(trainer.evaluate(blobs(0), 64), Error);
}

}  // namespace
}  // namespace nnplug::test
