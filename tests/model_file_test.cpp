// Saved models: the safetensors file round trip (the same predictions after loading), the plugin record, and
// the errors for a missing or too old plugin and for damaged files.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <fstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/network.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("nnplug_model_file_{}", ::getpid());
    fs::create_directories(dir_);
    spec_ = parse_spec(R"({"seed": 4, "data": {"format": "xor_blobs", "samples": 200, "validation_split": 0.2},
      "layers": [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batch_norm"}, {"type": "dense", "units": 2}],
      "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05}, "training": {"epochs": 3, "batch_size": 20}})",
                       dir_ / "spec.json");
    ex_ = build_experiment(spec_, registry());
    ex_.fit.progress = false;
    Trainer(*ex_.model, ex_.loss, ex_.optimizer).fit(ex_.train, nullptr, ex_.fit);
    save_model(path(), spec_, *ex_.model, registry());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path path() const { return dir_ / "model.safetensors"; }
  // Rewrites the saved file with one change.
  void edit(const std::function<void(SafetensorsFile&)>& change) {
    auto file = read_safetensors(path());
    change(file);
    write_safetensors(path(), file);
  }
  std::string load_error() {
    try {
      load_model(path(), registry());
    } catch (const Error& e) {
      return e.what();
    }
    return "(loaded)";
  }

  fs::path dir_;
  Spec spec_;
  Experiment ex_;
};

TEST_F(ModelFile, ALoadedModelPredictsTheSameAndRecordsItsPlugins) {
  LoadedModel loaded = load_model(path(), registry());
  Trainer original(*ex_.model, ex_.loss, nullptr), reloaded(*loaded.model, ex_.loss, nullptr);
  EXPECT_EQ(original.predict(ex_.validation, 16), reloaded.predict(ex_.validation, 16));  // bit for bit
  std::set<std::string> used;
  for (const auto& r : loaded.plugins) used.insert(fmt::format("{}:{}@{}", r.kind, r.name, r.version));
  for (const char* p : {"layer:dense@0.1.0", "layer:batch_norm@0.1.0", "activation:tanh@0.1.0", "loss:softmax_cross_entropy@0.1.0",
                        "optimizer:adam@0.1.0"})
    EXPECT_TRUE(used.count(p)) << p;
  // Batch norm's running statistics are saved too: 2 dense layers (weight, bias) + 4 batch norm tensors.
  EXPECT_EQ(read_safetensors(path()).tensors.size(), 8u);
}

TEST_F(ModelFile, AMissingPluginIsNamedWithItsVersion) {
  edit([](SafetensorsFile& f) {
    auto plugins = Params::Json::parse(f.metadata["nnplug.plugins"]);
    plugins.push_back({{"kind", "activation"}, {"name", "mish"}, {"library", "mish"}, {"version", "1.2.0"}, {"abi", 3}});
    f.metadata["nnplug.plugins"] = plugins.dump();
  });
  EXPECT_EQ(load_error(), fmt::format("{}: the model needs activation 'mish' from plugin mish@1.2.0 (ABI 3), which is not loaded: add its "
                                      "folder with --plugin-path or NNPLUG_PLUGIN_PATH", path().string()));
}

TEST_F(ModelFile, PluginsThatOnlyTrainingUsesNeedNotBeLoaded) {
  edit([](SafetensorsFile& f) {
    auto plugins = Params::Json::parse(f.metadata["nnplug.plugins"]);
    for (const char* kind : {"optimizer", "schedule", "gradient_transform", "communicator"})
      plugins.push_back({{"kind", kind}, {"name", "gone"}, {"library", "gone"}, {"version", "9.0.0"}, {"abi", 3}});
    f.metadata["nnplug.plugins"] = plugins.dump();
  });
  EXPECT_EQ(load_error(), "(loaded)");
}

TEST_F(ModelFile, MetadataOfTheWrongTypeOrRangeNamesTheFileAndTheKey) {
  for (const auto& [key, value, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nnplug.input_shape", R"(["two"])", "nnplug.input_shape is [\"two\"]; expected sizes that are whole numbers in [1, 2^30]"},
           {"nnplug.input_shape", "[0]", "nnplug.input_shape is [0]; expected sizes that are whole numbers in [1, 2^30]"},
           {"nnplug.input_shape", "{}", "nnplug.input_shape is {}; expected a list of 1 to 5 sizes"},
           {"nnplug.input_shape", "[1, 1, 1, 1, 1, 2]", "nnplug.input_shape is [1,1,1,1,1,2]; expected a list of 1 to 5 sizes"},
           {"nnplug.plugins", "[7]", "nnplug.plugins is 7; expected a record of kind, name, library, version (strings) and abi"},
           {"nnplug.plugins", R"({"kind": 1})", "nnplug.plugins is {\"kind\":1}; expected a list of plugin records"}}) {
    edit([&, key = key, value = value](SafetensorsFile& f) { f.metadata[key] = value; });
    EXPECT_NE(load_error().find(fmt::format("{}: damaged metadata: {}", path().string(), expected)), std::string::npos) << load_error();
    save_model(path(), spec_, *ex_.model, registry());
  }
}

TEST_F(ModelFile, DamagedCountersAndHugeShapesAreNamedNotTrusted) {
  for (const auto& [key, value, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nnplug.counters", R"({"1": "many"})", "damaged metadata: nnplug.counters is {\"1\":\"many\"}; expected an object from layer"},
           {"nnplug.counters", R"({"x": [1]})", "damaged metadata: a key of nnplug.counters is \"x\", not a whole number in [0, 1000000]"},
           {"nnplug.counters", R"({"40": [1]})", "damaged metadata: nnplug.counters names layer 40, the model has 4 layers"},
           {"nnplug.counters", std::string(100000, '[') , "nnplug.counters:1: nested deeper than 100 levels"},
           {"nnplug.preprocessing", R"([{"type": "whiten"}])",
            "damaged metadata: nnplug.preprocessing: step 0: 'type' must be \"fill_missing\", \"standardize\" or \"pca\""},
           {"nnplug.preprocessing", R"([{"type": "fill_missing", "strategy": "mode", "values": [1, 2]}])",
            "damaged metadata: nnplug.preprocessing: step 0: 'strategy' must be \"mean\", \"median\", \"most_frequent\" or \"constant\", got "
            "\"mode\""},
           {"nnplug.preprocessing", R"([{"type": "fill_missing", "strategy": "mean", "values": [1, null]}])",
            "damaged metadata: nnplug.preprocessing: step 0: 'values' holds null, not a finite number"},
           {"nnplug.preprocessing", R"([{"type": "fill_missing", "strategy": "mean", "values": [1, 2, 3]}])",
            "damaged metadata: nnplug.preprocessing: the steps give 3 features, the model takes 2"},
           {"nnplug.preprocessing", R"([{"type": "standardize", "scale": true, "per_feature": true, "eps": 0, "mean": [1, 2], "std": [1]}])",
            "damaged metadata: nnplug.preprocessing: step 0: 'std' must be a list of 2 numbers"},
           {"nnplug.preprocessing", R"([{"type": "standardize", "scale": true, "per_feature": true, "eps": 0, "mean": [1, 2, 3], "std": [1, 1, 1]}])",
            "damaged metadata: nnplug.preprocessing: the steps give 3 features, the model takes 2"},
           {"nnplug.preprocessing", R"([{"type": "pca", "whiten": "none", "eps": 0, "components": 2, "mean": [0, 0], "eigenvalues": [1, 1],
              "eigenvectors": [[1, 0], [0, "x"]]}])", "damaged metadata: nnplug.preprocessing: step 0: 'eigenvectors' holds \"x\", not a finite number"},
           {"nnplug.class_names", R"(["cat", 2])", "damaged metadata: nnplug.class_names is [\"cat\",2]; expected a list of class names (strings)"},
           {"nnplug.columns", R"({"features": ["a", 1]})", "damaged metadata: nnplug.columns is {\"features\":[\"a\",1]}; expected {\"features\": [names]"},
           {"nnplug.columns", R"({"features": ["a", "b"], "labels": "y"})", "damaged metadata: nnplug.columns is {\"features\":[\"a\",\"b\"],\"labels\""},
           {"nnplug.columns", R"({"features": ["a", "b", "c"]})", "damaged metadata: nnplug.columns names 3 features; the model takes 2"},
           {"nnplug.columns", R"({"features": ["a", "b"], "categories": [["x", "y"], []]})",
            "damaged metadata: nnplug.columns names 3 features; the model takes 2"},
           {"nnplug.columns", R"({"categories": [["x", "y", "z"]]})", "damaged metadata: nnplug.columns names 3 features; the model takes 2"},
           {"nnplug.columns", R"({"features": ["a"], "categories": [["x", "x"]]})",
            "damaged metadata: nnplug.columns is {\"categories\":[[\"x\",\"x\"]]"},
           {"nnplug.columns", R"({"features": ["a", "b"], "categories": [["x", "y"]]})",
            "damaged metadata: nnplug.columns is {\"categories\":[[\"x\",\"y\"]]"},
           {"nnplug.step_labels", "yes", "damaged metadata: nnplug.step_labels is yes; expected true or false"},
           {"nnplug.value_targets", "1", "damaged metadata: nnplug.value_targets is 1; expected true or false"},
           {"nnplug.text_vectorization", R"({"output_mode": "int"})", "damaged metadata: nnplug.text_vectorization: 'standardize' must be a string"},
           {"nnplug.text_vectorization",
            R"({"standardize": "none", "split": "whitespace", "ngrams": 1, "max_tokens": 0, "output_mode": "int", "output_sequence_length": 3, "tokens": ["a"]})",
            "damaged metadata: nnplug.text_vectorization makes samples of [3], the model takes [2]"},
           {"nnplug.input_shape", "[65536, 65536, 65536, 65536, 65536]",
            "damaged metadata: nnplug.input_shape is [65536,65536,65536,65536,65536]; expected sizes that are whole numbers in [1, 2^30], 2^30 values at most in all"}}) {
    edit([&, key = key, value = value](SafetensorsFile& f) { f.metadata[key] = value; });
    EXPECT_NE(load_error().find(expected), std::string::npos) << load_error();
    EXPECT_EQ(load_error().rfind(path().string(), 0), 0u) << load_error();
    save_model(path(), spec_, *ex_.model, registry());
  }
}

// A model trained on standardized, PCA-projected data keeps the fitted statistics in its file: loaded elsewhere,
// without its training data, it takes samples as the data files hold them and predicts what it did in training.
TEST(ModelFilePreprocessing, ALoadedModelBringsRawSamplesThroughTheStatisticsOfItsTraining) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("nnplug_preprocessing_{}", ::getpid());
  fs::create_directories(dir);
  std::string train = "a,b,c,label\n", test = "a,b,c,label\n", reordered = "c,label,b,a\n";
  for (int i = 0; i < 120; ++i) {  // three features on very different scales, the label from the first two
    const double a = 1000 + (i * 37 % 11), b = 0.01 * (i * 13 % 7), c = (i * 5) % 3;
    const int label = (i * 37 % 11 > 5) + (i * 13 % 7 > 3);
    (i < 100 ? train : test) += fmt::format("{},{},{},{}\n", a, b, c, label);
    if (i >= 100) reordered += fmt::format("{},{},{},{}\n", c, label, b, a);
  }
  std::ofstream(dir / "train.csv") << train;
  std::ofstream(dir / "test.csv") << test;
  std::ofstream(dir / "reordered.csv") << reordered;
  const Spec spec = parse_spec(R"({"seed": 2, "data": {"format": "csv", "path": "train.csv", "test_path": "test.csv", "standardize": "per_feature",
      "pca": {"components": 2, "whiten": "pca"}}, "layers": [{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dense", "units": 3}],
      "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05}, "training": {"epochs": 2, "batch_size": 16}})",
                               dir / "spec.json");
  Experiment ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
  save_model(dir / "model.safetensors", spec, *ex.model, registry());
  fs::remove(dir / "train.csv");  // not needed to predict

  Network loaded = Network::load(dir / "model.safetensors", registry());
  const Dataset raw = read_csv(dir / "test.csv");
  ASSERT_EQ(raw.features(), 3);
  EXPECT_EQ(loaded.predict(raw, true).values, Trainer(*ex.model, ex.loss, nullptr).predict(ex.test, 16));  // bit for bit
  // nnplug predict --input reads them the same way; a file saved before models kept their preprocessing makes it
  // fit the statistics again on the training data, as it did.
  const auto inputs = read_inputs(spec, *load_model(dir / "model.safetensors", registry()).model, dir / "test.csv");
  ASSERT_TRUE(inputs);
  EXPECT_EQ(inputs->x, ex.test.x);
  EXPECT_EQ(inputs->sample_shape, Shape{2});
  // The file keeps the features' names: the same samples with their columns in another order are read by name.
  const auto by_name = read_inputs(spec, *load_model(dir / "model.safetensors", registry()).model, dir / "reordered.csv");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->x, ex.test.x);
  EXPECT_EQ(by_name->labels, ex.test.labels);
  auto file = read_safetensors(dir / "model.safetensors");
  file.metadata.erase("nnplug.preprocessing");
  file.metadata.erase("nnplug.columns");  // kept since, as the preprocessing is
  write_safetensors(dir / "older.safetensors", file);
  EXPECT_FALSE(read_inputs(spec, *load_model(dir / "older.safetensors", registry()).model, dir / "test.csv"));
  // Samples that the statistics do not fit are refused, naming the call and both sizes.
  try {
    Dataset two_features;
    two_features.x = SampleValues(std::vector<float>{1000, 0.5f});
    two_features.sample_shape = Shape{2};
    two_features.labels = {-1};
    loaded.predict(two_features, true);
    ADD_FAILURE() << "predicted from 2 features";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()), "predict: samples of shape [2] do not fit the preprocessing the model was trained with: preprocessing was "
                                     "fitted on 3 features, the data has 2");
  }
  fs::remove_all(dir);
}

TEST_F(ModelFile, AWrongSavedSpecIsNamedByTheModelFile) {
  edit([](SafetensorsFile& f) {
    auto spec = Params::Json::parse(f.metadata["nnplug.spec"]);
    spec["layers"][2]["units"] = -3;
    f.metadata["nnplug.spec"] = spec.dump();
  });
  EXPECT_EQ(load_error().rfind(fmt::format("{} (the spec saved in it): layers[2] (dense): parameter 'units'", path().string()), 0), 0u) << load_error();
}

TEST_F(ModelFile, AnOlderPluginIsRefused) {
  edit([](SafetensorsFile& f) {
    auto plugins = Params::Json::parse(f.metadata["nnplug.plugins"]);
    for (auto& p : plugins)
      if (p["name"] == "dense") p["version"] = "0.10.0";  // newer than the loaded 0.1.0
    f.metadata["nnplug.plugins"] = plugins.dump();
  });
  const std::string e = load_error();
  EXPECT_EQ(e.rfind(fmt::format("{}: the model needs layer 'dense' from plugin dense 0.10.0 or newer; the one loaded is dense@0.1.0 (", path().string()), 0), 0u) << e;
}

TEST_F(ModelFile, WrongShapesAndMissingTensorsAreNamed) {
  edit([](SafetensorsFile& f) { f.tensors.erase(f.tensors.begin()); });
  EXPECT_EQ(load_error(), fmt::format("{}: tensor '0.weight' is missing", path().string()));
  save_model(path(), spec_, *ex_.model, registry());
  edit([](SafetensorsFile& f) {
    f.tensors[0].shape = Shape{3, 4};
    f.tensors[0].bytes.resize(12 * dtype_size(f.tensors[0].dtype));
  });
  EXPECT_EQ(load_error(), fmt::format("{}: tensor '0.weight' has shape [3, 4], the model's has [6, 2]", path().string()));
}

TEST_F(ModelFile, DamagedFilesGiveClearErrors) {
  const auto size = fs::file_size(path());
  fs::resize_file(path(), size - 10);
  EXPECT_NE(load_error().find("past the end of the data"), std::string::npos) << load_error();
  fs::resize_file(path(), 5);
  EXPECT_EQ(load_error(), fmt::format("{}: too short for a safetensors file (5 bytes)", path().string()));
  std::ofstream(path(), std::ios::binary) << std::string("\x10\0\0\0\0\0\0\0{not json}      ", 24);
  EXPECT_NE(load_error().find(": the header is not JSON"), std::string::npos) << load_error();
  write_safetensors(path(), SafetensorsFile{});
  EXPECT_EQ(load_error(), fmt::format("{}: not a model saved by nnplug (no nnplug.spec in the metadata)", path().string()));
}

// A NaN, an infinity, or a float64 value past float32's range for a float32 parameter: named, not loaded (every output
// would be NaN). Training never saves one.
TEST_F(ModelFile, ANonFiniteStoredValueIsNamed) {
  edit([](SafetensorsFile& f) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(f.tensors[0].bytes.data() + 3 * sizeof(float), &nan, sizeof nan);
  });
  EXPECT_EQ(load_error(), fmt::format("{}: tensor '0.weight' holds nan (value 3 of 12), which is not a finite float32 value: the file is damaged",
                                      path().string()));
  save_model(path(), spec_, *ex_.model, registry());
  edit([](SafetensorsFile& f) {
    std::vector<double> wide(12, 0.5);
    wide[11] = 1e300;
    f.tensors[0].dtype = DType::Float64;
    f.tensors[0].bytes.resize(sizeof(double) * wide.size());
    std::memcpy(f.tensors[0].bytes.data(), wide.data(), f.tensors[0].bytes.size());
  });
  EXPECT_EQ(load_error(), fmt::format("{}: tensor '0.weight' holds 1e+300 (value 11 of 12), which is not a finite float32 value: the file is damaged",
                                      path().string()));
}

TEST_F(ModelFile, SavingReplacesTheFileWholeAndLeavesNoTemporary) {
  save_model(path(), spec_, *ex_.model, registry());
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);  // model.safetensors only (the spec was never written)
  EXPECT_THROW(save_model(dir_ / "no" / "such" / "dir" / "m.safetensors", spec_, *ex_.model, registry()), IoError);
  // A spec that is not the model's is refused, not saved to load as another model.
  Spec other = spec_;
  other.set(R"(layers=[{"type": "dense", "units": 2}])");
  try {
    save_model(dir_ / "m.safetensors", other, *ex_.model, registry());
    ADD_FAILURE() << "saved with another model's spec";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("describes 1 layers, the model has 4: it is not the model's spec"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "m.safetensors"));
}

// Refused before a whole model is written to a temporary file that could never be renamed into place.
TEST_F(ModelFile, AnEmptyPathOrAFolderIsRefusedBeforeAnythingIsWritten) {
  const auto saving = [&](const fs::path& to) {
    try {
      save_model(to, spec_, *ex_.model, registry());
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("(saved)");
  };
  EXPECT_EQ(saving(""), "cannot write the safetensors file: the path is empty");
  fs::create_directory(dir_ / "folder");
  EXPECT_EQ(saving(dir_ / "folder"), fmt::format("{}: cannot write the safetensors file: it is a directory", (dir_ / "folder").string()));
  EXPECT_TRUE(fs::is_empty(dir_ / "folder"));
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2);  // model.safetensors and the folder: no temporary left anywhere
}

}  // namespace
}  // namespace nnplug::test
