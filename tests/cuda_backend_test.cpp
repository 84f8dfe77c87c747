// The CUDA backend (plugins/backends/cuda): the demo MLP, the quick CNN and the ResNet training alike on it and on the CPU
// backend, and the backend's errors (its conformance suite is instantiated in conformance_test.cpp). Without an NVIDIA driver and device (CI,
// most development machines) every test here skips, and the skip message says why.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/trainer.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

// An example spec with its data replaced by seeded Gaussian blobs of 784 features (no dataset needed on the GPU
// machine): 3,000 samples of 10 classes, 20% for validation, two epochs.
// `first_layer` replaces the type of the spec's first layer where it is given; `setting` is one --set.
Experiment example_on(const std::string& file, const Params::Json& backend, const Experiment* data,
                      const std::string& first_layer = "", const std::string& setting = "") {
  Spec spec = load_spec(std::string(EXAMPLES_DIR) + "/" + file);
  if (!first_layer.empty()) spec.json["layers"][0]["type"] = first_layer;
  Params::Json blobs = {{"format", "gaussian_blobs"}, {"samples", 3000}, {"centers", 10}, {"features", 784}, {"std", 6.0},
                        {"validation_split", 0.2}};
  if (spec.json["data"].contains("sample_shape")) blobs["sample_shape"] = spec.json["data"]["sample_shape"];
  spec.json["data"] = blobs;
  spec.set("training.epochs=2");
  if (!setting.empty()) spec.set(setting);
  spec.json["backend"] = backend;
  Overrides overrides;
  overrides.data = data;
  return build_experiment(spec, registry(), overrides);
}

// Same seed, same batches, same dropout masks: the histories agree to float32 rounding (the GPU sums in another
// order), and so do the final weights.
void expect_trains_alike(const std::string& file, const std::string& first_layer = "", const std::string& setting = "") {
  Experiment cpu = example_on(file, "cpu", nullptr, first_layer, setting);
  Experiment gpu = example_on(file, "cuda", &cpu, first_layer, setting);
  cpu.fit.progress = gpu.fit.progress = false;
  Trainer cpu_trainer(*cpu.model, cpu.loss, cpu.optimizer), gpu_trainer(*gpu.model, gpu.loss, gpu.optimizer);
  const auto a = cpu_trainer.fit(cpu.train, &cpu.validation, cpu.fit);
  const auto b = gpu_trainer.fit(gpu.train, &gpu.validation, gpu.fit);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(b[e].train.loss, a[e].train.loss, 1e-3 * std::max(1.0, a[e].train.loss)) << "epoch " << e + 1;
    EXPECT_NEAR(b[e].validation.score, a[e].validation.score, 0.01) << "epoch " << e + 1;
  }
  EXPECT_GT(b.back().validation.score, 0.5);  // it learned something (chance is 0.1)
  const auto pa = cpu.model->parameters(true), pb = gpu.model->parameters(true);
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto wa = to_host<double>(pa[i]->value), wb = to_host<double>(pb[i]->value);
    double worst = 0;
    for (std::size_t k = 0; k < wa.size(); ++k) worst = std::max(worst, std::abs(wa[k] - wb[k]));
    EXPECT_LT(worst, 1e-3) << pa[i]->name << " of parameter tensor " << i;
  }
}

TEST(CudaBackend, TheDemoMlpTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_mlp.json");
}

TEST(CudaBackend, TheQuickCnnTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_cnn.json");
}

// A graph: residual sums, a gradient summed over two readers, block files; recorded and replayed as step graphs.
TEST(CudaBackend, TheResNetExampleTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_resnet.json");
}

// The recurrent layers: every step's product with the last output runs as a Gemm whose epilogue adds the input's
// product and the bias and applies the gate's sigmoid or tanh; the steps are recorded and replayed as step graphs.
TEST(CudaBackend, TheLstmExampleTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_lstm.json");
}

TEST(CudaBackend, TheLstmExampleWithAGruTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_lstm.json", "gru");
}

// Self-attention: per sample and head a product of queries and keys, a row softmax with dropout, a product with
// the values, the heads reordered by op::Permute; layer norm over each step runs its plugin's host reference.
TEST(CudaBackend, TheTransformerExampleTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("fashion_transformer.json");
}

// Gradient accumulation: the batches before an update's last go backward and add their gradients in recorded
// steps of their own, with the dropout masks of the update's one batch.
TEST(CudaBackend, GradientAccumulationTrainsAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  expect_trains_alike("x10_deep_mlp_dropout.json", "", "training.gradient_accumulation_steps=3");
}

// Step graphs replay what the ops would do one by one: the same kernels on the same data, with the learning rate,
// Adam's bias corrections and the dropout seeds refilled every step (a stale one would show in the loss).
TEST(CudaBackend, StepGraphsTrainAsOpsRunOneByOne) {
  SKIP_WITHOUT_CUDA();
  const auto run = [](bool graphs) {
    Experiment gpu = example_on("x10_deep_mlp_dropout.json", {{"type", "cuda"}, {"step_graphs", graphs}}, nullptr);
    gpu.fit.progress = false;
    gpu.fit.schedule = registry().create_schedule(Params("test", {{"type", "inverse_time"}, {"decay", 0.01}}));  // every step
    Trainer trainer(*gpu.model, gpu.loss, gpu.optimizer);
    const auto history = trainer.fit(gpu.train, nullptr, gpu.fit);
    // 2 epochs of 10 batches, two parts each: most of them replayed (none when graphs are off).
    if (graphs) EXPECT_GE(gpu.backend->step_stats().replays, 2u * 2 * 5);
    else EXPECT_EQ(gpu.backend->step_stats().replays, 0u);
    std::vector<double> weights;
    for (const auto* p : gpu.model->parameters(true)) {
      const auto w = to_host<double>(p->value);
      weights.insert(weights.end(), w.begin(), w.end());
    }
    return std::make_pair(history, weights);
  };
  const auto [graphs_history, graphs_weights] = run(true);
  const auto [eager_history, eager_weights] = run(false);
  ASSERT_EQ(graphs_history.size(), eager_history.size());
  for (std::size_t e = 0; e < eager_history.size(); ++e)
    EXPECT_NEAR(graphs_history[e].train.loss, eager_history[e].train.loss, 1e-6 * eager_history[e].train.loss) << "epoch " << e + 1;
  ASSERT_EQ(graphs_weights.size(), eager_weights.size());
  double worst = 0;
  for (std::size_t k = 0; k < eager_weights.size(); ++k) worst = std::max(worst, std::abs(graphs_weights[k] - eager_weights[k]));
  EXPECT_LT(worst, 1e-6);
}

TEST(CudaBackend, ASteadyTrainingStepAllocatesNoDeviceMemory) {
  SKIP_WITHOUT_CUDA();
  Experiment gpu = example_on("fashion_cnn.json", "cuda", nullptr);
  gpu.fit.progress = false;
  gpu.fit.epochs = 1;
  Trainer trainer(*gpu.model, gpu.loss, gpu.optimizer);
  trainer.fit(gpu.train, nullptr, gpu.fit);
  const auto before = gpu.backend->memory_stats().system_allocations;
  trainer.fit(gpu.train, nullptr, gpu.fit);
  EXPECT_EQ(gpu.backend->memory_stats().system_allocations, before);
}

TEST(CudaBackend, RunningOutOfMemorySaysHowMuchWasAskedAndHowMuchIsFree) {
  SKIP_WITHOUT_CUDA();
  auto be = registry().create_backend(Params("test", "cuda"));
  try {
    be->allocate(std::size_t{1} << 50);  // a pebibyte
    FAIL() << "a pebibyte was allocated";
  } catch (const BackendError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("out of device memory: asked for 1073741824 MiB"), std::string::npos) << what;
    EXPECT_NE(what.find(" free of "), std::string::npos) << what;
  }
  Tensor still_works = be->empty({4}, DType::Float32);  // the failed request left the backend usable
  be->run(op::Fill{still_works, 2.0});
  EXPECT_EQ(to_host<double>(still_works), std::vector<double>(4, 2.0));
}

TEST(CudaBackend, ALabelOutOfRangeIsReportedNamingTheOp) {
  SKIP_WITHOUT_CUDA();
  auto be = registry().create_backend(Params("test", "cuda"));
  Tensor scores = tensor(*be, {2, 3}, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, DType::Float32);
  Tensor labels = tensor(*be, {2}, {1, 7}, DType::Int32);
  Tensor loss = be->empty({1}, DType::Float32);
  be->run(op::ClassLoss{scores, labels, loss, Tensor()});
  try {
    to_host<double>(loss);
    FAIL() << "a label of 7 for 3 classes was accepted";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("class_loss: a label is outside [0, C)"), std::string::npos) << e.what();
  }
  be->run(op::ClassLoss{scores, tensor(*be, {2}, {1, 2}, DType::Int32), loss, Tensor()});
  EXPECT_NO_THROW(to_host<double>(loss));  // the error was reported once, not carried on
}

TEST(CudaBackend, ShapeErrorsAreReportedBeforeAnythingRuns) {
  SKIP_WITHOUT_CUDA();
  auto be = registry().create_backend(Params("test", "cuda"));
  Tensor a = be->empty({2, 3}, DType::Float32), b = be->empty({4, 5}, DType::Float32), c = be->empty({2, 5}, DType::Float32);
  try {
    be->run(op::Gemm{.a = a, .b = b, .c = c});
    FAIL() << "a (2, 3) x (4, 5) product ran";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("cuda backend: gemm: shapes do not fit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnplug::test
