// Weights from PyTorch: a state_dict of Linear, BatchNorm1d, ReLU, Linear written as safetensors by
// tests/fixtures/make_torch_safetensors.py, loaded into the same model built from a spec, must give PyTorch's
// eval-mode outputs. Misnamed, misshapen and foreign-dtype tensors give errors naming the file and the tensor.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

const std::string kFixtures = TORCH_FIXTURE_DIR;

Spec torch_mlp_spec(const std::string& initialize_from) {
  return parse_spec(R"({"seed": 1, "data": {"format": "gaussian_blobs", "samples": 30, "centers": 3, "features": 4},
    "layers": [{"type": "dense", "units": 5}, {"type": "batch_norm"}, {"type": "relu"}, {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}, "initialize_from": )" + initialize_from + "}",
                    kFixtures + "/spec.json");
}

std::string error_of(const std::string& initialize_from) {
  try {
    build_experiment(torch_mlp_spec(initialize_from), registry());
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(WeightImport, APyTorchStateDictGivesPyTorchsOutputs) {
  const auto expected = nlohmann::json::parse(std::ifstream(kFixtures + "/torch_mlp_expected.json"));
  Experiment ex = build_experiment(torch_mlp_spec(R"("torch_mlp.safetensors")"), registry());
  std::vector<double> inputs;
  for (const auto& row : expected["inputs"]) for (double v : row) inputs.push_back(v);
  Tensor x = tensor(ex.model->backend(), Shape{6, 4}, inputs, DType::Float32);
  ex.model->set_training(false);
  const auto y = to_host<double>(ex.model->forward(x));
  ASSERT_EQ(y.size(), 18u);
  // float32 throughout, a dense layer, batch norm (rsqrt of the running variance) and another dense layer.
  for (std::size_t i = 0; i < 18; ++i) EXPECT_NEAR(y[i], expected["outputs"][i / 3][i % 3].get<double>(), 1e-5) << i;
}

TEST(WeightImport, NamesMapOursToTheFilesAndStrictNamesWhatIsMissing) {
  // The file has no "fc.weight": a map to it fails naming both names; without strict the initializer stays.
  EXPECT_NE(error_of(R"({"path": "torch_mlp.safetensors", "names": {"0.weight": "fc.weight"}})")
                .find("torch_mlp.safetensors: no tensor 'fc.weight' (for 0.weight)"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"path": "torch_mlp.safetensors", "names": {"0.weight": "fc.weight"}, "strict": false})"), "(no error)");
  // 3.weight is (3, 5): mapping the first dense layer's (5, 4) weight to it is a shape error naming the layer.
  const std::string shape = error_of(R"({"path": "torch_mlp.safetensors", "names": {"0.weight": "3.weight"}})");
  EXPECT_NE(shape.find("tensor '3.weight' has shape [3, 5], the model's has [5, 4] (layers[0] (dense) weight)"), std::string::npos) << shape;
  // num_batches_tracked is int64: read, ignored, and refused only when something asks for it.
  const std::string foreign = error_of(R"({"path": "torch_mlp.safetensors", "names": {"1.running_mean": "1.num_batches_tracked"}})");
  EXPECT_NE(foreign.find("has dtype I64, which nnplug cannot load into a parameter"), std::string::npos) << foreign;
  EXPECT_NE(error_of(R"("missing.safetensors")").find("missing.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace nnplug::test
