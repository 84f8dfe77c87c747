// Small versions of the example models (a ResNet, MobileNet, the convolutional autoencoder, a 1-D decoder, the demo
// MLP, X11's first stage, the LSTM and the transformer) trained for six steps from PyTorch's initial weights on the
// CPU backend as `nnplug train` runs it: in float32, on oneDNN's products and convolutions with images in channel
// blocks and again row-major, and in bfloat16 mixed precision. Each must end where PyTorch's float64 training ends
// (tests/fixtures/make_torch_training.py). The float64 checks elsewhere run on im2col and row-major images; these
// paths keep copies of inputs between ops and steps (the convolutions' blocked copies, the bfloat16 roundings), and
// a copy used after its tensor changed shows only over several steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

const std::filesystem::path kDir = std::filesystem::path(TORCH_FIXTURE_DIR) / "torch_training";

const Params::Json& expected() {
  static const Params::Json j = Params::Json::parse(std::ifstream(kDir / "expected.json"));
  return j;
}

// A tensor of the fixture's files (all float32) as doubles.
std::vector<double> values_of(const StoredTensor& t) {
  EXPECT_EQ(t.dtype, DType::Float32) << t.name;
  std::vector<float> values(t.bytes.size() / sizeof(float));
  std::memcpy(values.data(), t.bytes.data(), values.size() * sizeof(float));
  return {values.begin(), values.end()};
}

// The loss of every step, as the trainer reports it (before the step).
class StepLosses : public Callback {
 public:
  std::vector<double> losses;
  bool on_batch_end(const BatchRecord& record, Model&) override {
    losses.push_back(record.loss);
    return true;
  }
};

struct Trained {
  std::unique_ptr<Model> model;
  std::vector<double> losses;
};

// The case's spec trained as `nnplug train` trains it, on `backend` (a --backend value), with the training set scored
// as validation after every epoch: passes in evaluation mode between the epochs must leave training as it was.
Trained train(const std::string& name, const std::string& backend) {
  Experiment ex = build_experiment(load_spec(kDir / (name + ".json")), registry(), {.backend = backend});
  auto losses = std::make_shared<StepLosses>();
  ex.fit.progress = false;
  ex.fit.callbacks.push_back(losses);
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, &ex.train, ex.fit);
  return {std::move(ex.model), losses->losses};
}

// For every tensor of PyTorch's trained state_dict (weights and batch norms' running statistics): how far nnplug's
// change over training lies from PyTorch's, relative to the size of PyTorch's change. Fails for a tensor that one
// side has and the other does not.
std::map<std::string, double> update_errors(const std::string& name, Model& model) {
  const SafetensorsFile initial = read_safetensors(kDir / (name + "_initial.safetensors"));
  const SafetensorsFile trained = read_safetensors(kDir / (name + "_trained.safetensors"));
  std::map<std::string, double> errors;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string tensor = model.parameter_name(i, *p);
      const StoredTensor *from = initial.find(tensor), *to = trained.find(tensor);
      if (!from || !to) {
        ADD_FAILURE() << name << ": " << tensor << " is not in PyTorch's state_dict";
        continue;
      }
      const auto start = values_of(*from), want = values_of(*to), got = to_host<double>(p->value);
      EXPECT_EQ(got.size(), want.size()) << tensor;
      double diff = 0, change = 0;
      for (std::size_t k = 0; k < std::min(got.size(), want.size()); ++k)
        diff += (got[k] - want[k]) * (got[k] - want[k]), change += (want[k] - start[k]) * (want[k] - start[k]);
      errors[tensor] = std::sqrt(diff / change);
    }
  EXPECT_EQ(errors.size(), trained.tensors.size()) << name << ": tensors of PyTorch's that the model does not have";
  return errors;
}

const char* const kCases[] = {"resnet", "mobilenet", "autoencoder", "sequence_decoder", "mlp", "cnn", "lstm", "transformer"};

// Every case trained on `backend`: each tensor's change within `update_tolerance` of PyTorch's (relative to the size of
// PyTorch's change), or, with `relative_to_autocast`, within that many times the worst error of PyTorch's own bfloat16
// autocast on the case; every step's loss within `loss_tolerance` of PyTorch's, relatively.
void expect_training_as_pytorchs(const std::string& backend, double update_tolerance, bool relative_to_autocast, double loss_tolerance) {
  for (const char* name : kCases) {
    SCOPED_TRACE(fmt::format("{} on {}", name, backend));
    Trained run = train(name, backend);
    double bound = update_tolerance;
    if (relative_to_autocast) {
      double autocast = 0;
      for (const auto& [tensor, error] : expected()["autocast_error"][name].items()) autocast = std::max(autocast, error.get<double>());
      bound *= autocast;
    }
    for (const auto& [tensor, error] : update_errors(name, *run.model)) EXPECT_LT(error, bound) << tensor;
    const auto want = expected()["losses"][name].get<std::vector<double>>();
    ASSERT_EQ(run.losses.size(), want.size());
    for (std::size_t s = 0; s < want.size(); ++s) EXPECT_NEAR(run.losses[s], want[s], loss_tolerance * want[s]) << "step " << s + 1;
  }
}

// Float32 differs from float64 by rounding alone (the fixture keeps the ReLUs' inputs away from their kinks, where
// rounding could take the other side): every tensor's change within 1e-3 of PyTorch's (the worst seen, 1.8e-4), and
// every step's loss within 1e-4 (the worst seen, 1.4e-5: the CNN's sixth in the sanitizer lane's clang build, whose
// weights end as near as gcc's). Images in channel blocks (the default) and row-major alike.
TEST(TorchTraining, Float32TrainingOnTheFastPathsEndsWherePyTorchsEnds) {
  expect_training_as_pytorchs(R"({"type": "cpu"})", 1e-3, false, 1e-4);
  expect_training_as_pytorchs(R"({"type": "cpu", "channel_blocks": false})", 1e-3, false, 1e-4);
}

// Mixed precision rounds every product's inputs, and the gradients of the first layers, through batch norms' small
// differences, move by tens of percent: each tensor's change lies within three times the worst error of PyTorch's own
// bfloat16 autocast on the same case (the fixture's; nnplug's rounds differ from its own, and six steps of SGD at a
// high rate amplify either: in an earlier fixture the autoencoder's decoder2 bias strayed 5.9 % against autocast's
// worst 2.9 %, and 2.5 % in PyTorch with nnplug's roundings), and every step's loss within 2 % of PyTorch's. An input
// copy used after its tensor changed gives an error of the size of the change itself.
TEST(TorchTraining, MixedPrecisionTrainingStraysNoFurtherThanPyTorchsAutocast) {
  std::string why;
  if (!bfloat16_backend(why)) GTEST_SKIP() << why;
  expect_training_as_pytorchs(R"({"type": "cpu", "precision": "bfloat16"})", 3, true, 0.02);
}

// The same on the CUDA backend (cuDNN's convolutions, cuBLAS's products, the step graphs `nnplug train` records), in
// exact float32 (no TF32) and on tensor cores in bfloat16.
TEST(TorchTraining, CudaTrainingEndsWherePyTorchsEnds) {
  SKIP_WITHOUT_CUDA();
  expect_training_as_pytorchs(R"({"type": "cuda"})", 1e-3, false, 1e-4);
  expect_training_as_pytorchs(R"({"type": "cuda", "precision": "bfloat16"})", 3, true, 0.02);
}

}  // namespace
}  // namespace nnplug::test
