// Bad input in spec files and data files: one clear message naming the file, field, layer or shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <zlib.h>

#include "nnplug/framework/experiment.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// A scratch folder with a tiny IDX data set (raw, and gzip) of 6 images of 2x2 pixels, 3 classes.
class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("nnplug_spec_test_{}", ::getpid());
    fs::create_directories(dir_);
    std::string images = {0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0, 2};
    for (int i = 0; i < 24; ++i) images += static_cast<char>(i * 10);
    std::string labels = {0, 0, 8, 1, 0, 0, 0, 6, 0, 1, 2, 0, 1, 2};
    write("images.idx", images);
    write("labels.idx", labels);
    write_gzip("images.idx.gz", images);
    // A gzip stream cut in half: the decompressor runs out of input before the end of the stream.
    std::ifstream in(dir_ / "images.idx.gz", std::ios::binary);
    std::string gz((std::istreambuf_iterator<char>(in)), {});
    write("truncated.idx.gz", gz.substr(0, gz.size() / 2));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  void write_gzip(const std::string& name, const std::string& bytes) {
    gzFile f = gzopen((dir_ / name).c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  }

  // A valid spec with `patch` merged over it.
  Spec spec(const Params::Json& patch = Params::Json::object()) {
    Params::Json j = {
        {"data", {{"format", "idx"}, {"train_images", "images.idx"}, {"train_labels", "labels.idx"}, {"divide_by", 255}}},
        {"layers", {{{"type", "dense"}, {"units", 8}, {"activation", "relu"}}, {{"type", "dense"}, {"units", 3}}}},
        {"loss", "softmax_cross_entropy"},
        {"optimizer", {{"type", "sgd"}, {"lr", 0.1}}},
        {"training", {{"epochs", 1}, {"batch_size", 2}}}};
    j.merge_patch(patch);
    return parse_spec(j.dump(2), dir_ / "spec.json");
  }

  // The message build_experiment throws for this spec.
  std::string error_of(const Spec& s) {
    try {
      build_experiment(s, registry());
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::string file() const { return (dir_ / "spec.json").string(); }
  fs::path dir_;
};

TEST_F(SpecTest, AValidSpecBuildsAndTrains) {
  Experiment ex = build_experiment(spec(), registry());
  EXPECT_EQ(ex.train.size(), 6);
  EXPECT_EQ(ex.train.num_classes, 3);
  EXPECT_EQ(ex.model->output_shape(), (Shape{3}));
  EXPECT_EQ(ex.model->parameter_count(true), 4 * 8 + 8 + 8 * 3 + 3);
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  ex.fit.progress = false;
  EXPECT_EQ(trainer.fit(ex.train, nullptr, ex.fit).size(), 1u);
}

// --backend takes a plugin name or a JSON object of the plugin's parameters.
TEST_F(SpecTest, TheBackendOptionTakesANameOrParameters) {
  Overrides overrides;
  overrides.backend = R"({"type": "cpu", "threads": 1})";
  EXPECT_NE(build_experiment(spec(), registry(), overrides).backend->device().find(", 1 thread"), std::string::npos);
  overrides.backend = R"({"type": "cpu", "threads": 1)";
  try {
    build_experiment(spec(), registry(), overrides);
    FAIL() << "a malformed --backend object was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("--backend: {\"type\": \"cpu\", \"threads\": 1 is neither a plugin name nor a JSON object"),
              std::string::npos) << e.what();
  }
  overrides.backend = R"({"type": "cpu", "thread": 1})";
  try {
    build_experiment(spec(), registry(), overrides);
    FAIL() << "an unknown backend parameter was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--backend"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("thread"), std::string::npos) << e.what();
  }
}

TEST_F(SpecTest, ScheduleSetsTheLearningRateOfEachEpoch) {
  Experiment ex = build_experiment(spec({{"schedule", {{"type", "step"}, {"step_size", 1}, {"gamma", 0.5}}},
                                         {"training", {{"epochs", 3}}}}),
                                   registry());
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  ex.fit.progress = false;
  const auto history = trainer.fit(ex.train, nullptr, ex.fit);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_DOUBLE_EQ(history[0].learning_rate, 0.1);
  EXPECT_DOUBLE_EQ(history[1].learning_rate, 0.05);
  EXPECT_DOUBLE_EQ(history[2].learning_rate, 0.025);
}

// An optimizer that notes each momentum the trainer hands it, and passes everything on.
class MomentumRecorder final : public Optimizer {
 public:
  explicit MomentumRecorder(std::shared_ptr<Optimizer> inner) : inner_(std::move(inner)) {}
  std::string type() const override { return inner_->type(); }
  void attach(const std::vector<Parameter*>& parameters) override { inner_->attach(parameters); }
  void step() override { inner_->step(); }
  double learning_rate() const override { return inner_->learning_rate(); }
  void set_learning_rate(double lr) override { inner_->set_learning_rate(lr); }
  bool set_momentum(double momentum) override {
    momenta.push_back(momentum);
    return inner_->set_momentum(momentum);
  }
  std::vector<double> momenta;

 private:
  std::shared_ptr<Optimizer> inner_;
};

// one_cycle over 4 steps, half of them rising: the momentum falls from 0.95 to 0.85 at step 1, then climbs back
// along a line, before every step. An optimizer without a momentum is refused at the first step, as PyTorch refuses it.
TEST_F(SpecTest, OneCycleHandsItsMomentumToTheOptimizerEachStep) {
  const Params::Json cycle = {{"type", "one_cycle"}, {"total_steps", 4}, {"pct_start", 0.5}, {"anneal_strategy", "linear"}};
  for (const char* optimizer : {R"({"type": "adam"})", R"({"type": "sgd", "lr": 0.1, "momentum": 0.9})", R"({"type": "rmsprop", "momentum": 0.5})"}) {
    Experiment ex = build_experiment(spec({{"schedule", cycle}, {"optimizer", Params::Json::parse(optimizer)}, {"training", {{"epochs", 2}, {"batch_size", 3}}}}),
                                     registry());
    auto recorder = std::make_shared<MomentumRecorder>(ex.optimizer);
    Trainer trainer(*ex.model, ex.loss, recorder);
    ex.fit.progress = false;
    trainer.fit(ex.train, nullptr, ex.fit);
    ASSERT_EQ(recorder->momenta.size(), 4u) << optimizer;
    const std::vector<double> want{0.95, 0.85, 0.9, 0.95};
    for (std::size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(recorder->momenta[k], want[k], 1e-15) << optimizer << " step " << k;
  }
  for (const char* optimizer : {R"("adagrad")", R"({"type": "sgd", "lr": 0.1})"}) {
    Experiment ex = build_experiment(spec({{"schedule", cycle}, {"optimizer", Params::Json::parse(optimizer)}}), registry());
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    ex.fit.progress = false;
    const std::string message = test::error_of([&] { trainer.fit(ex.train, nullptr, ex.fit); });
    EXPECT_NE(message.find("schedule one_cycle cycles the momentum, which optimizer"), std::string::npos) << message;
    EXPECT_NE(message.find("set the schedule's cycle_momentum to false"), std::string::npos) << message;
  }
}

TEST_F(SpecTest, GzipAndRawIdxReadTheSame) {
  const Dataset raw = read_idx(dir_ / "images.idx", dir_ / "labels.idx", 255);
  const Dataset gz = read_idx(dir_ / "images.idx.gz", dir_ / "labels.idx", 255);
  EXPECT_EQ(raw.x, gz.x);
  EXPECT_FLOAT_EQ(raw.x[3], 30.0f / 255.0f);
  EXPECT_EQ(raw.labels, (std::vector<std::int32_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(raw.sample_shape, (Shape{4}));
}

TEST(SpecSet, AnOverrideNamesWhatIsWrongWithItsPathAndCreatesMissingSections) {
  Spec spec = parse_spec(R"({"layers": [{"type": "dense", "units": 2}]})", "s.json");
  const auto error_of = [&](const std::string& assignment) {
    try {
      spec.set(assignment);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("(set)");
  };
  for (const char* index : {"x", "1abc", "", "-"})
    EXPECT_EQ(error_of(fmt::format("layers.{}.units=3", index)),
              fmt::format("--set layers.{}.units: 'layers.{}' indexes an array; use a whole number", index, index));
  EXPECT_EQ(error_of("layers.5.units=3"), "--set layers.5.units: 'layers.5' is past the end (1 entry)");
  EXPECT_EQ(error_of("layers.0.units.x=3"), "--set layers.0.units.x: 'layers.0.units.x' is inside a value, not an object");
  EXPECT_EQ(error_of("search.trials=3"), "(set)");
  EXPECT_EQ(spec.json["search"]["trials"], 3);
  // A layer as messages name it: "layers[0]" is "layers.0".
  EXPECT_EQ(error_of("layers[0].units=7"), "(set)");
  EXPECT_EQ(spec.json["layers"][0]["units"], 7);
  EXPECT_EQ(error_of("layers[3].units=7"), "--set layers[3].units: 'layers.3' is past the end (1 entry)");
  // As in Python, -1 is the last entry.
  spec.json["layers"].push_back({{"type", "dense"}, {"units", 2}});
  EXPECT_EQ(error_of("layers[-1].units=9"), "(set)");
  EXPECT_EQ(spec.json["layers"][1]["units"], 9);
  EXPECT_EQ(error_of("layers.-2.units=8"), "(set)");
  EXPECT_EQ(spec.json["layers"][0]["units"], 8);
  EXPECT_EQ(error_of("layers[-3].units=7"), "--set layers[-3].units: 'layers.-3' is past the start (2 entries)");
}

TEST_F(SpecTest, InvalidJsonNamesFileLineAndColumn) {
  try {
    parse_spec("{\n  \"layers\": [\n    {\"type\": \"dense\" \"units\": 3}\n  ]\n}\n", dir_ / "bad.json");
    FAIL();
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(fmt::format("{}:3:", (dir_ / "bad.json").string()), 0), 0u) << what;
    EXPECT_NE(what.find("not valid JSON"), std::string::npos) << what;
  }
}

TEST_F(SpecTest, MissingDataFileNamesTheFile) {
  EXPECT_EQ(error_of(spec({{"data", {{"train_images", "nowhere.idx"}}}})), fmt::format("{}: the IDX file does not exist", (dir_ / "nowhere.idx").string()));
}

TEST_F(SpecTest, TruncatedDataFileIsReported) {
  const std::string what = error_of(spec({{"data", {{"train_images", "truncated.idx.gz"}}}}));
  EXPECT_EQ(what.rfind(fmt::format("{}: ", (dir_ / "truncated.idx.gz").string()), 0), 0u) << what;
  EXPECT_NE(what.find("truncated"), std::string::npos) << what;
}

TEST_F(SpecTest, UnknownLayerListsLayersAndActivations) {
  const std::string what = error_of(spec({{"layers", {{{"type", "dnese"}, {"units", 3}}}}}));
  EXPECT_EQ(what.rfind(fmt::format("{}: layers[0] (dnese): unknown layer 'dnese'; layers and activations available: ", file()), 0), 0u) << what;
  EXPECT_NE(what.find(" dense,"), std::string::npos) << what;
  EXPECT_NE(what.find(" relu,"), std::string::npos) << what;
}

// A PyTorch or Keras name is pointed to nnplug's, for a layer and for a loss (registry.create's refusal).
TEST_F(SpecTest, AnotherFrameworksNameIsPointedToNnplugs) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "Linear"}, {"units", 3}}}}})).rfind(
                fmt::format("{}: layers[0] (Linear): unknown layer 'Linear' (did you mean 'dense'?); layers and activations available: ", file()), 0),
            0u);
  EXPECT_EQ(error_of(spec({{"loss", "CrossEntropyLoss"}})).rfind(
                fmt::format("{}: loss: unknown loss 'CrossEntropyLoss' (did you mean 'softmax_cross_entropy'?); available: ", file()), 0),
            0u);
}

TEST_F(SpecTest, WrongParameterTypeNamesLayerAndField) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", "many"}}}}})),
            fmt::format("{}: layers[0] (dense): parameter 'units' must be an integer, got \"many\"", file()));
}

// A whole number written as a float is that integer (Python's json.dumps writes 1000.0 for a float); a fraction, or
// a float too large for every integer to be a double, is not.
TEST_F(SpecTest, AnIntegerMayBeWrittenAsAWholeFloat) {
  const Params p("test", Params::Json::parse(R"({"a": 1e3, "b": 64.0, "c": -2.0, "d": 2.5, "e": 1e300, "f": 9007199254740992.0})"));
  EXPECT_EQ(p.require_integer("a"), 1000);
  EXPECT_EQ(p.require_integer("b"), 64);
  EXPECT_EQ(p.require_integer("c"), -2);
  EXPECT_EQ(p.require_integer("f"), std::int64_t{1} << 53);
  EXPECT_EQ(nnplug::test::error_of([&] { p.require_integer("d"); }), "test: parameter 'd' must be an integer, got 2.5");
  EXPECT_EQ(nnplug::test::error_of([&] { p.require_integer("e"); }), "test: parameter 'e' must be an integer, got 1e+300");
  EXPECT_EQ(nnplug::test::error_of([&] { p.require_integer("b", 100); }), "test: parameter 'b' must be >= 100, got 64.0");
}

// JSON text holds no NaN or infinity, but a spec built in C++ may; a list's number is refused as a single one is.
TEST_F(SpecTest, ANumberThatIsNotFiniteIsRefusedInAListToo) {
  const Params p("test", Params::Json{{"one", std::nan("")}, {"list", {1.0, std::nan("")}}, {"inf", {HUGE_VAL}}});
  EXPECT_EQ(nnplug::test::error_of([&] { p.require_number("one"); }), "test: parameter 'one' must be finite, got null");
  EXPECT_EQ(nnplug::test::error_of([&] { p.numbers("list", {}); }), "test: parameter 'list' must hold finite numbers, got [1.0,null]");
  EXPECT_EQ(nnplug::test::error_of([&] { p.numbers("inf", {}, 0, 0.0); }), "test: parameter 'inf' must hold numbers >= 0, got [null]");
}

TEST_F(SpecTest, OutOfRangeParameterNamesTheRange) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", -3}}}}})),
            fmt::format("{}: layers[0] (dense): parameter 'units' must be >= 1, got -3", file()));
}

TEST_F(SpecTest, UnknownParameterListsTheOnesTaken) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"unit", 3}}}}})),
            fmt::format("{}: layers[0] (dense): parameter 'units' is required", file()));
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", 3}, {"use_bias", true}}}}})),
            fmt::format("{}: layers[0] (dense): unknown parameter 'use_bias' (it takes: bias, bias_init, in_features, type, units, weight_init) "
                        "(Keras's 'use_bias' is nnplug's 'bias')",
                        file()));  // in_features 0 once read as "not given", and any input passed the check.
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", 3}, {"in_features", 0}}}}})),
            fmt::format("{}: layers[0] (dense): parameter 'in_features' must be >= 1, got 0", file()));
}

TEST_F(SpecTest, LayersThatDoNotFitNameBothLayersAndShapes) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", 8}}, {{"type", "dense"}, {"units", 3}, {"in_features", 5}}}}})),
            fmt::format("{}: layers[1] (dense) cannot take the output of layers[0] (dense), which produces [8]: dense expects 5 features on the last axis (in_features), got [8]",
                        file()));
}

TEST_F(SpecTest, OutputThatDoesNotFitTheClassesIsReported) {
  EXPECT_EQ(error_of(spec({{"layers", {{{"type", "dense"}, {"units", 2}}}}})),
            fmt::format("{}: softmax_cross_entropy: the model outputs [2] per sample but the data has 3 classes; the last layer needs 3 units",
                        file()));
}

// Keras's hinge and binary_crossentropy take one output for two classes; nnplug's losses of class indices take a
// score per class, and the refusal names the binary losses that one output takes.
TEST_F(SpecTest, OneOutputForTwoClassesUnderAClassLossNamesTheBinaryLosses) {
  const auto refusal = [&](const char* loss, std::int64_t classes) {
    Dataset labels;
    labels.num_classes = classes;
    return nnplug::test::error_of([&] { check_targets(*registry().create_loss(Params("loss", Params::Json{{"type", loss}})), Shape{1}, labels); });
  };
  for (const char* loss : {"hinge", "softmax_cross_entropy"})
    EXPECT_EQ(refusal(loss, 2), fmt::format("{}: the model outputs [1] per sample but the data has 2 classes; the last layer needs 2 units; or, "
                                            "with one output, a binary loss: binary_cross_entropy (logistic) or attribute_hinge (Keras's hinge, a "
                                            "binary SVM)", loss));
  EXPECT_EQ(refusal("hinge", 3), "hinge: the model outputs [1] per sample but the data has 3 classes; the last layer needs 3 units");
}

// As in PyTorch and Keras, labels index the outputs: more outputs than classes trains, with a warning in a spec.
TEST_F(SpecTest, MoreOutputsThanClassesTrainsWithAWarning) {
  testing::internal::CaptureStderr();
  const Experiment ex = build_experiment(spec({{"layers", {{{"type", "dense"}, {"units", 5}}}}}), registry());
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            fmt::format("warning: {}: the model outputs [5] per sample but the data has 3 classes; outputs 3 to 4 are never a target\n", file()));
  EXPECT_EQ(ex.model->output_shape(), Shape({5}));
}

// A softmax before a loss that applies its own (Keras's from_logits=True after a softmax) is said; a softmax before a
// loss of probabilities, or a log_softmax before nll, is what those losses take.
TEST_F(SpecTest, ASoftmaxOrSigmoidTwiceOverIsAWarning) {
  const auto warnings = [&](const char* last_activation, const char* loss) {
    testing::internal::CaptureStderr();
    build_experiment(spec({{"layers", {{{"type", "dense"}, {"units", 3}, {"activation", last_activation}}}}, {"loss", loss}}), registry());
    return testing::internal::GetCapturedStderr();
  };
  EXPECT_EQ(warnings("softmax", "softmax_cross_entropy"),
            fmt::format("warning: {}: the last layer is a softmax and loss softmax_cross_entropy applies a softmax to its inputs itself (it takes "
                        "logits), so the outputs pass through two; drop the last softmax (predict still gives probabilities)\n", file()));
  EXPECT_NE(warnings("sigmoid", "multilabel_sigmoid").find("the last layer is a sigmoid and loss multilabel_sigmoid applies a sigmoid"),
            std::string::npos);
  EXPECT_EQ(warnings("softmax", "categorical_cross_entropy"), "");
  EXPECT_EQ(warnings("log_softmax", "nll"), "");
  EXPECT_EQ(warnings("identity", "softmax_cross_entropy"), "");
  // The other way round: logits given to a loss of probabilities.
  EXPECT_EQ(warnings("identity", "categorical_cross_entropy"),
            fmt::format("warning: {}: loss categorical_cross_entropy takes class probabilities (as Keras's categorical_crossentropy without "
                        "from_logits), but the model ends in layers[0] (dense) identity, not a softmax, so its outputs are not probabilities "
                        "and the loss falls below 0 without bound; end the model in a softmax, or choose softmax_cross_entropy, which applies "
                        "it itself (Keras's from_logits=True)\n", file()));
}

// A layer of images reading a channels-last input (Keras's layout) is warned of where it still fits, as it would train
// on the wrong axes, and named in the refusal where it does not; a channels-first input is what it takes.
TEST_F(SpecTest, AChannelsLastInputToALayerOfImagesIsNamed) {
  const auto conv = [&](const std::vector<int>& sample_shape, int kernel) {
    return spec({{"data", {{"sample_shape", sample_shape}}},
                 {"layers",
                  {{{"type", "conv2d"}, {"filters", 2}, {"kernel_size", kernel}}, {{"type", "flatten"}}, {{"type", "dense"}, {"units", 3}}}}});
  };
  const std::string hint =
      "nnplug's images are channels first, [channels, height, width] as PyTorch's: a channels-last [2, 2, 1] (Keras's) is [1, 2, 2] (NumPy: "
      "x.transpose(0, 3, 1, 2); or a first layer {\"type\": \"permute\", \"dims\": [3, 1, 2]} takes it as it is)";
  testing::internal::CaptureStderr();
  build_experiment(conv({2, 2, 1}, 1), registry());
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            fmt::format("warning: {}: layers[0] (conv2d) reads the input [2, 2, 1] as 2 channels of 2x1 images; {}\n", file(), hint));
  EXPECT_NE(error_of(conv({2, 2, 1}, 3)).find(fmt::format("larger than the padded input 2x1; {}", hint)), std::string::npos);
  testing::internal::CaptureStderr();
  build_experiment(conv({1, 2, 2}, 1), registry());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  // The hint's permute, first: the convolution reads [1, 2, 2].
  Spec permuted = conv({2, 2, 1}, 1);
  permuted.json["layers"].insert(permuted.json["layers"].begin(), Params::Json{{"type", "permute"}, {"dims", {3, 1, 2}}});
  testing::internal::CaptureStderr();
  const Experiment ex = build_experiment(permuted, registry());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(ex.model->output_shape(0), Shape({1, 2, 2}));
}

TEST_F(SpecTest, NegativeBatchSizeIsRejected) {
  EXPECT_EQ(error_of(spec({{"training", {{"batch_size", -1}}}})),
            fmt::format("{}: training: parameter 'batch_size' must be >= 1, got -1", file()));
}

TEST_F(SpecTest, UnknownBackendListsTheBackends) {
  Overrides o;
  o.backend = "tpu";
  try {
    build_experiment(spec(), registry(), o);
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_STREQ(e.what(), "--backend: unknown backend 'tpu'; available: cpu");
  }
}

TEST_F(SpecTest, ALongValueIsShownCutWithItsLength) {
  const std::string huge(1000000, 'x');
  const std::string message = error_of(spec({{"seed", huge}}));
  EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
  EXPECT_NE(message.find("must be an integer, got \"xxxxxxxx"), std::string::npos) << message;
  EXPECT_NE(message.find("... (1000002 characters)"), std::string::npos) << message;
  const std::string key_message = error_of(spec({{huge, 1}}));
  EXPECT_LT(key_message.size(), 500u) << key_message.substr(0, 500);
  EXPECT_NE(key_message.find("... (1000000 characters)'"), std::string::npos) << key_message.substr(0, 500);
}

// Data-parallel gradients travel in float32 unless the spec asks for bfloat16; anything else is named.
TEST_F(SpecTest, GradientCompressionIsNoneOrBFloat16) {
  EXPECT_EQ(build_experiment(spec(), registry()).gradient_compression, Compression::None);
  EXPECT_EQ(build_experiment(spec({{"training", {{"gradient_compression", "bfloat16"}}}}), registry()).gradient_compression,
            Compression::BFloat16);
  const std::string message = error_of(spec({{"training", {{"gradient_compression", "fp8"}}}}));
  EXPECT_NE(message.find("gradient_compression"), std::string::npos) << message;
  EXPECT_NE(message.find("must be \"none\" or \"bfloat16\", got \"fp8\""), std::string::npos) << message;
}

TEST_F(SpecTest, UnknownTopLevelFieldIsReported) {
  EXPECT_EQ(error_of(spec({{"epoch", 3}})),
            fmt::format("{}: unknown parameter 'epoch' (it takes: augmentation, backend, blocks, callbacks, communicator, data, description, dtype, "
                        "gradient_transforms, initialize_from, layers, loss, name, optimizer, precision, schedule, search, seed, training)",
                        file()));
  // Keras's fit() arguments and model at the top are pointed to where they go.
  EXPECT_EQ(error_of(spec({{"batch_size", 3}})),
            fmt::format("{}: parameter 'batch_size' belongs in the \"training\" section: \"training\": {{\"epochs\": 10, \"batch_size\": 32}}",
                        file()));
  EXPECT_EQ(error_of(spec({{"model", {{"layers", {{{"type", "dense"}, {"units", 3}}}}}}, {"layers", nullptr}})),  // null: no layers
            fmt::format("{}: parameter 'model' is no section: the model is the spec's own \"layers\" list, beside \"loss\" and \"optimizer\"",
                        file()));
}

}  // namespace
}  // namespace nnplug::test
