// Data-parallel training against one process. CTest runs this suite under `mpirun -np 2`: every rank trains each
// spec twice, once data-parallel over the mpi communicator and once alone on the whole batch, and the two must
// end with the same weights (1e-12 in float64, 1e-5 relative in float32) and the same history. One process
// training alone is the independent reference: it never calls the communicator.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "nnplug/conformance/component_checks.hpp"
#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/spread_over_ranks.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Communicator> world() {
  static const auto communicator = registry().create_communicator(Params("test", "mpi"));
  return communicator;
}

using Json = Params::Json;

// Blobs in 6 dimensions, 50 samples in global batches of 16: the last batch has 2 samples, one per rank.
Json base_spec() {
  return Json::parse(R"({
    "seed": 7, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 50, "features": 6, "centers": 3, "std": 1.5},
    "layers": [{"type": "dense", "units": 12, "activation": "tanh"}, {"type": "dense", "units": 8, "activation": "relu"},
               {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy",
    "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
    "training": {"epochs": 3, "batch_size": 16, "bucket_mb": 0.001}
  })");
}

struct Outcome {
  std::vector<std::vector<double>> weights;  // every parameter and buffer
  std::vector<EpochRecord> history;
};

Outcome weights_of(const Model& model) {
  Outcome out;
  for (Parameter* p : model.parameters(false)) out.weights.push_back(to_host<double>(p->value));
  return out;
}

// Trains the spec alone (communicator null) or data-parallel; `prepare` may change the experiment first.
Outcome train(const Json& json, const std::shared_ptr<Communicator>& communicator,
              const std::function<void(Experiment&)>& prepare = {}) {
  const Spec spec = parse_spec(json.dump(), "data_parallel.json");
  Experiment ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  if (prepare) prepare(ex);
  if (communicator) trainer.distribute(communicator, ex.bucket_bytes, ex.gradient_compression);
  const auto history = trainer.fit(ex.train, ex.validation.size() ? &ex.validation : nullptr, ex.fit);
  Outcome out = weights_of(*ex.model);
  out.history = history;
  return out;
}

void expect_same(const Outcome& alone, const Outcome& parallel, double tolerance, bool relative) {
  ASSERT_EQ(alone.weights.size(), parallel.weights.size());
  for (std::size_t t = 0; t < alone.weights.size(); ++t) {
    ASSERT_EQ(alone.weights[t].size(), parallel.weights[t].size());
    for (std::size_t i = 0; i < alone.weights[t].size(); ++i) {
      const double a = alone.weights[t][i], b = parallel.weights[t][i];
      const double bound = relative ? tolerance * std::max(1e-3, std::abs(a)) : tolerance;
      ASSERT_NEAR(a, b, bound) << "parameter " << t << " element " << i << " on rank " << world()->rank();
    }
  }
  ASSERT_EQ(alone.history.size(), parallel.history.size());
  for (std::size_t e = 0; e < alone.history.size(); ++e) {
    EXPECT_NEAR(alone.history[e].train.loss, parallel.history[e].train.loss, relative ? 1e-5 : 1e-12) << "epoch " << e + 1;
    // An accuracy differs by 1 / samples at least where it differs; a mean absolute error sums in another order.
    EXPECT_NEAR(alone.history[e].train.score, parallel.history[e].train.score, relative ? 1e-5 : 1e-12) << "epoch " << e + 1;
    EXPECT_NEAR(alone.history[e].validation.loss, parallel.history[e].validation.loss, relative ? 1e-5 : 1e-12);
    EXPECT_NEAR(alone.history[e].validation.score, parallel.history[e].validation.score, relative ? 1e-5 : 1e-12);
  }
}

void expect_data_parallel_equals_alone(const Json& spec) {
  const Outcome alone = train(spec, nullptr);
  const Outcome parallel = train(spec, world());
  const bool single = spec.value("dtype", "float32") == "float32";
  expect_same(alone, parallel, single ? 1e-5 : 1e-12, single);
}

TEST(DataParallel, RunsOnTwoRanks) { EXPECT_EQ(world()->size(), 2) << "run this suite with mpirun -np 2"; }

TEST(DataParallel, TheMpiCommunicatorPassesTheCommunicatorConformanceChecks) {
  for (const auto& r : conformance::check_communicator(*world(), *cpu_backend())) EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

// NCCL reduces CUDA tensors: its checks run where a GPU per rank is lent, and skip elsewhere with the reason.
TEST(DataParallel, TheNcclCommunicatorPassesTheCommunicatorConformanceChecks) {
  for (const char* kind : {"nccl", "cuda"}) {
    const auto plugin = kind == std::string("nccl") ? PluginKind::Communicator : PluginKind::Backend;
    if (!registry().has(plugin, kind)) {
      const std::string why = registry().why_unavailable(plugin, kind);
      GTEST_SKIP() << kind << ": " << (why.empty() ? "not built here" : why);
    }
  }
  const auto gpu = registry().create_backend(Params("test", "cuda"));
  std::shared_ptr<Communicator> nccl;
  try {
    nccl = registry().create_communicator(Params("test", "nccl"));
  } catch (const InvalidArgument& e) {
    GTEST_SKIP() << e.what();  // fewer GPUs than ranks on this host
  }
  for (const auto& r : conformance::check_communicator(*nccl, *gpu)) EXPECT_TRUE(r.passed) << r.check << ": " << r.detail;
}

TEST(DataParallel, SgdWithMomentumAndAShortLastBatch) { expect_data_parallel_equals_alone(base_spec()); }

TEST(DataParallel, Adam) {
  Json spec = base_spec();
  spec["optimizer"] = {{"type", "adam"}, {"lr", 0.01}};
  expect_data_parallel_equals_alone(spec);
}

// The large-batch optimizers take each tensor's trust ratio from its averaged gradient, bucket by bucket, as one
// process takes it from the whole batch's; LAMB's biases in a group of their own, unadapted, as BERT's recipe has them.
TEST(DataParallel, LambAndLarsTakeTheTrustRatiosOfOneProcess) {
  for (const char* optimizer : {R"({"type": "lamb", "lr": 0.01, "weight_decay": 0.01,
                                    "param_groups": [{"params": "*.bias", "trust_ratio": false, "weight_decay": 0}]})",
                                R"({"type": "lars", "lr": 0.5, "momentum": 0.9, "weight_decay": 1e-4, "trust_coefficient": 0.02})"}) {
    Json spec = base_spec();
    spec["optimizer"] = Json::parse(optimizer);
    expect_data_parallel_equals_alone(spec);
  }
}

// Adafactor's row and column means and each tensor's RMS come from the averaged gradient, as one process's.
TEST(DataParallel, Adafactor) {
  Json spec = base_spec();
  spec["optimizer"] = {{"type", "adafactor"}, {"lr", 0.05}, {"weight_decay", 0.01}};
  expect_data_parallel_equals_alone(spec);
}

// Rprop's step sizes follow the signs of the averaged gradient, as one process's.
TEST(DataParallel, Rprop) {
  Json spec = base_spec();
  spec["optimizer"] = {{"type", "rprop"}, {"lr", 0.01}};
  expect_data_parallel_equals_alone(spec);
}

// FTRL's closed form takes the averaged gradient, as one process's; l1 holds some weights at exactly 0.
TEST(DataParallel, Ftrl) {
  Json spec = base_spec();
  spec["optimizer"] = {{"type", "ftrl"}, {"lr", 0.5}, {"l1_regularization_strength", 0.02}, {"l2_regularization_strength", 0.01}};
  expect_data_parallel_equals_alone(spec);
}

// The weighted loss is still a mean over the global batch's samples, so each rank's share of it is its samples'.
TEST(DataParallel, ClassWeightsAndLabelSmoothing) {
  Json spec = base_spec();
  spec["loss"] = {{"type", "softmax_cross_entropy"}, {"class_weights", {0.5, 2.0, 1.0}}, {"label_smoothing", 0.1}};
  expect_data_parallel_equals_alone(spec);
  // nll's weights, on the log-probabilities of a log_softmax, alike.
  spec["layers"].back()["activation"] = "log_softmax";
  spec["loss"] = {{"type", "nll"}, {"class_weights", {0.5, 2.0, 1.0}}};
  expect_data_parallel_equals_alone(spec);
}

// Epochs drawn by class weights: every rank draws the epoch one process draws and takes its share of each batch.
TEST(DataParallel, ClassWeightedSampling) {
  Json spec = base_spec();
  spec["training"]["sampler"] = Json::parse(R"({"weights": [1, 2, 0.5], "num_samples": 40})");
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, ClipNormClipsTheAveragedGradient) {
  Json spec = base_spec();
  spec["gradient_transforms"] = Json::array({{{"type", "clip_norm"}, {"max_norm", 0.05}}});
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, WeightAndActivityPenalties) {
  Json spec = base_spec();
  spec["layers"][0]["weight_regularizer"] = {{"type", "l2"}, {"lambda", 0.01}};
  spec["layers"][1]["activity_regularizer"] = {{"type", "l1"}, {"lambda", 0.001}};
  expect_data_parallel_equals_alone(spec);
}

// Each bucket's parameters are updated, penalised and constrained as soon as it is reduced; a penalty on a
// parameter in no bucket (batch norm's running mean, not trained) still counts in the loss.
TEST(DataParallel, ConstraintsAndAPenaltyOnAFrozenParameter) {
  Json spec = base_spec();
  spec["optimizer"] = {{"type", "adam"}, {"lr", 0.05}};
  spec["layers"][0]["weight_constraint"] = {{"type", "max_norm"}, {"max_value", 0.5}};
  spec["layers"][2]["weight_constraint"] = {{"type", "non_neg"}};
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "batch_norm"}, {"sync", true},
                                                         {"running_mean_regularizer", {{"type", "l2"}, {"lambda", 0.5}}}});
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, ScheduleAndValidation) {
  Json spec = base_spec();
  spec["schedule"] = {{"type", "step"}, {"step_size", 1}, {"gamma", 0.5}};
  spec["data"]["validation_split"] = 0.2;
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, ARegressionScoresItsMeanAbsoluteErrorOverTheRanks) {
  Json spec = base_spec();
  spec["data"] = {{"format", "friedman1"}, {"samples", 50}, {"features", 6}, {"validation_split", 0.2}};
  spec["layers"].back()["units"] = 1;
  spec["loss"] = "mse";
  spec["optimizer"]["lr"] = 0.01;
  const Outcome alone = train(spec, nullptr);
  ASSERT_EQ(alone.history.back().validation.kind, ScoreKind::MeanAbsoluteError);
  expect_same(alone, train(spec, world()), 1e-12, false);
}

// numpy.save's format, version 1: the array's dtype (descr) and shape, then its values.
void write_npy(const std::filesystem::path& path, const std::string& descr, const std::string& shape, const void* values, std::size_t bytes) {
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  header.append(63 - (10 + header.size()) % 64, ' ').push_back('\n');  // the values start on a multiple of 64
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() % 256) << static_cast<char>(header.size() / 256) << header;
  out.write(static_cast<const char*>(values), static_cast<std::streamsize>(bytes));
}

// A class label per step (step_labels.hpp), with padding: each rank's batch is weighed by its labelled steps, so that
// the update's loss is the mean over the global batch's labelled steps, as in one process. 50 sequences of 3 steps of
// 2 values; step t of sample i is labelled (i + 2 t) mod 3, or is padding (-100) where (i + t) mod 4 is 0.
TEST(DataParallel, LabelsPerStepWeighEachRankByItsLabelledSteps) {
  const auto folder = std::filesystem::temp_directory_path() / fmt::format("nnplug_dp_steps_{}_{}", ::getpid(), world()->rank());
  std::filesystem::create_directories(folder);
  const std::vector<double> x = random_normal(300, 5);
  std::vector<std::int64_t> y(150);
  for (std::size_t i = 0; i < 150; ++i) y[i] = (i / 3 + i % 3) % 4 == 0 ? -100 : static_cast<std::int64_t>((i / 3 + 2 * (i % 3)) % 3);
  write_npy(folder / "x.npy", "<f8", "(50, 3, 2)", x.data(), x.size() * sizeof(double));
  write_npy(folder / "y.npy", "<i8", "(50, 3)", y.data(), y.size() * sizeof(std::int64_t));
  Json spec = base_spec();
  spec["data"] = {{"format", "npy"}, {"train_inputs", (folder / "x.npy").string()}, {"train_targets", (folder / "y.npy").string()}};
  const Outcome alone = train(spec, nullptr);
  expect_same(alone, train(spec, world()), 1e-12, false);
  std::filesystem::remove_all(folder);
}

TEST(DataParallel, DropoutDrawsTheMasksOfOneProcess) {
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "dropout"}, {"rate", 0.3}});
  expect_data_parallel_equals_alone(spec);
}

// Channels dropped whole, and attention weights dropped: each draws by its sample's place in the global batch.
TEST(DataParallel, SpatialAndAttentionDropoutDrawTheMasksOfOneProcess) {
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1,
                        {Json{{"type", "reshape"}, {"shape", {3, 4}}}, Json{{"type", "spatial_dropout"}, {"rate", 0.3}},
                         Json{{"type", "multi_head_attention"}, {"num_heads", 2}, {"dropout", 0.3}}, Json{{"type", "flatten"}}});
  expect_data_parallel_equals_alone(spec);
}

// Samples dropped whole, each by its place in the global batch; or whole batches, drawn alike on every rank.
TEST(DataParallel, StochasticDepthDrawsTheMasksOfOneProcess) {
  for (const char* mode : {"row", "batch"}) {
    Json spec = base_spec();
    spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "stochastic_depth"}, {"rate", 0.3}, {"mode", mode}});
    expect_data_parallel_equals_alone(spec);
  }
}

TEST(DataParallel, ARankWithoutSamplesInTheLastBatch) {
  Json spec = base_spec();
  spec["data"]["samples"] = 49;  // the last global batch holds one sample: rank 0 has none
  expect_data_parallel_equals_alone(spec);
}

// Gradient accumulation over the ranks: batches of 4 (2 samples a rank), 4 to an update, step as one process at
// batch 16. 50 samples end with an update of one batch of 2; 45 with an update of 4, 4, 4 and 1 samples, whose last
// batch leaves rank 0 without a sample, though it has gradients of the update's earlier batches to send.
TEST(DataParallel, GradientAccumulationUpdatesAsOneProcessAtTheUpdatesBatch) {
  for (const int samples : {50, 45}) {
    Json one_batch = base_spec();
    one_batch["data"]["samples"] = samples;
    one_batch["layers"].insert(one_batch["layers"].begin() + 1, Json{{"type", "dropout"}, {"rate", 0.3}});
    one_batch["layers"][0]["weight_regularizer"] = {{"type", "l2"}, {"lambda", 0.01}};
    one_batch["layers"][2]["activity_regularizer"] = {{"type", "l1"}, {"lambda", 0.001}};
    Json accumulating = one_batch;
    accumulating["training"]["batch_size"] = 4;
    accumulating["training"]["gradient_accumulation_steps"] = 4;
    SCOPED_TRACE(fmt::format("{} samples", samples));
    expect_same(train(one_batch, nullptr), train(accumulating, world()), 1e-12, false);
  }
}

// The rank without samples in the last batch runs no forward and draws no mask; it takes the counters of a rank
// that did, so that the next epoch's masks are still those of one process.
TEST(DataParallel, ARankWithoutSamplesDrawsTheMasksOfOneProcessAfterwards) {
  Json spec = base_spec();
  spec["data"]["samples"] = 49;
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "dropout"}, {"rate", 0.3}});
  expect_data_parallel_equals_alone(spec);
}

// Parameter groups: each bucket's parameters are updated by their groups' optimizers as soon as it is reduced.
TEST(DataParallel, ParameterGroupsUpdateEachBucketAsOneProcessUpdatesAll) {
  Json spec = base_spec();
  spec["optimizer"] = Json::parse(R"({"type": "adamw", "lr": 0.01, "weight_decay": 0.1,
      "param_groups": [{"params": "*.bias", "weight_decay": 0}, {"params": "0.weight", "lr": 0.002}]})");
  expect_data_parallel_equals_alone(spec);
}

// Mixup and CutMix draw each sample's partner and blend by its position in the epoch: two ranks, each gathering its
// samples' partners from the whole set, blend as one process. 49 samples: rank 0 has none in the last batch.
TEST(DataParallel, MixupBlendsAsOneProcess) {
  Json spec = base_spec();
  spec["data"]["samples"] = 49;
  spec["loss"] = {{"type", "softmax_cross_entropy"}, {"targets", "probabilities"}};
  spec["training"]["mixup_alpha"] = 0.4;
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "dropout"}, {"rate", 0.3}});
  expect_data_parallel_equals_alone(spec);
  // CutMix or mixup, on images of 2 x 3.
  spec["data"]["sample_shape"] = {1, 2, 3};
  spec["training"]["cutmix_alpha"] = 1.0;
  spec["layers"].insert(spec["layers"].begin(), Json{{"type", "flatten"}});
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, OneBucketForTheWholeModel) {
  Json spec = base_spec();
  spec["training"]["bucket_mb"] = 25;
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, Float32) {
  Json spec = base_spec();
  spec["dtype"] = "float32";
  spec["optimizer"] = {{"type", "adam"}, {"lr", 0.01}};
  expect_data_parallel_equals_alone(spec);
}

// Values sent as bfloat16 (7 stored mantissa bits: at 1 the next value is 1 + 2^-7), chosen so that each line
// shows one rounding: rank 0's values come first, rank 1's second, then the reduction worked out by hand.
TEST(DataParallel, BFloat16CompressionRoundsEachRanksValuesAndEverySum) {
  const bool first = world()->rank() == 0;
  const double e = std::ldexp(1.0, -8);
  const std::vector<std::array<double, 3>> cases{
      {1.5, 2.25, 3.75},                 // exact in bfloat16, and so is the sum
      {1 + e / 4, 1 + e / 4, 2.0},       // each rounds down to 1 before it is sent (float32 would give 2 + 2^-9)
      {1 + e, 0.0, 1.0},                 // halfway between 1 and 1 + 2^-7: ties go to the even mantissa, 1
      {1 + 3 * e, 0.0, 1 + 4 * e},       // halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6
      {1.0, 2 * e, 1 + 2 * e},           // the sum is a bfloat16
      {1.0, e, 1.0},                     // the sum 1 + 2^-8 is not, and rounds to even
      {-3.0, 1.0, -2.0},
      {1e30, 1e30, std::ldexp(202.0, 93)},  // 1e30 = 1.5777 * 2^99 rounds to 202 * 2^92 (1.578125 * 2^99)
  };
  for (const DType dtype : {DType::Float32, DType::Float64}) {
    std::vector<double> mine;
    for (const auto& c : cases) mine.push_back(first ? c[0] : c[1]);
    const Tensor summed = tensor(*cpu_backend(), Shape{static_cast<std::int64_t>(mine.size())}, mine, dtype);
    const Tensor averaged = tensor(*cpu_backend(), Shape{static_cast<std::int64_t>(mine.size())}, mine, dtype);
    world()->all_reduce_async(summed, ReduceOp::Sum, Compression::BFloat16)->wait();
    world()->all_reduce_async(averaged, ReduceOp::Average, Compression::BFloat16)->wait();
    const auto sums = to_host<double>(summed), averages = to_host<double>(averaged);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      EXPECT_EQ(sums[i], cases[i][2]) << dtype_name(dtype) << " case " << i;
      EXPECT_EQ(averages[i], cases[i][2] / 2) << dtype_name(dtype) << " case " << i;
    }
  }
  // Integers are never rounded: 100001 is not a bfloat16.
  const Tensor counts = tensor(*cpu_backend(), Shape{1}, {first ? 100000.0 : 1.0}, DType::Int32);
  world()->all_reduce_async(counts, ReduceOp::Sum, Compression::BFloat16)->wait();
  EXPECT_EQ(to_host<double>(counts)[0], 100001.0);
}

// Gradients sent as bfloat16 train close to one process, and not exactly as it does: the compression is on. Each
// step's averaged gradient is off by up to about 2^-8 of itself; 12 steps at an effective step of 1 (lr 0.1,
// momentum 0.9) with gradients of about 0.1 move a weight by up to a few 1e-3 from one process's.
TEST(DataParallel, BFloat16GradientCompressionTrainsCloseToOneProcess) {
  Json spec = base_spec();
  spec["dtype"] = "float32";
  spec["training"]["gradient_compression"] = "bfloat16";
  const Outcome alone = train(spec, nullptr), parallel = train(spec, world());
  double largest = 0.0;
  for (std::size_t t = 0; t < alone.weights.size(); ++t)
    for (std::size_t i = 0; i < alone.weights[t].size(); ++i) {
      const double a = alone.weights[t][i], b = parallel.weights[t][i];
      EXPECT_NEAR(a, b, 5e-3 + 1e-2 * std::abs(a)) << "parameter " << t << " element " << i;
      largest = std::max(largest, std::abs(a - b));
    }
  EXPECT_GT(largest, 1e-5) << "the weights are those of float32 gradients: nothing was rounded to bfloat16";
  for (std::size_t e = 0; e < alone.history.size(); ++e)
    EXPECT_NEAR(alone.history[e].train.loss, parallel.history[e].train.loss, 1e-2 * alone.history[e].train.loss) << "epoch " << e + 1;
}

TEST(DataParallel, SynchronisedBatchNormIsOneProcessBatchNorm) {
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "batch_norm"}, {"sync", true}});
  spec["data"]["samples"] = 52;  // the last batch of 4: 2 samples a rank
  spec["data"]["validation_split"] = 0.2;
  expect_data_parallel_equals_alone(spec);  // running statistics included
}

// The weights averaged over epochs 2 and 3, then batch norm's statistics gathered again from every rank's share of
// each batch: with synchronised statistics, what one process gathers.
TEST(DataParallel, StochasticWeightAveragingGathersTheStatisticsOfOneProcess) {
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "batch_norm"}, {"sync", true}, {"momentum", 0.2}});
  spec["data"]["samples"] = 52;
  spec["callbacks"] = Json::parse(R"([{"type": "swa", "start_epoch": 2, "lr": 0.05, "anneal_epochs": 1}])");
  expect_data_parallel_equals_alone(spec);
}

// Every rank moves its slow weights towards the averaged step's weights, as one process does.
TEST(DataParallel, LookaheadMovesTheSlowWeightsOfOneProcess) {
  Json spec = base_spec();
  spec["callbacks"] = Json::parse(R"([{"type": "lookahead", "k": 3, "alpha": 0.6}])");
  expect_data_parallel_equals_alone(spec);
}

TEST(DataParallel, SynchronisedBatchNormOfImagesWithOneSampleARank) {
  Json spec = base_spec();
  spec["data"] = {{"format", "gaussian_blobs"}, {"samples", 34}, {"features", 18}, {"centers", 3}, {"sample_shape", {2, 3, 3}}};
  spec["layers"] = Json::array({{{"type", "conv2d"}, {"filters", 4}, {"kernel_size", 2}},
                                {{"type", "batch_norm"}, {"sync", true}, {"activation", "relu"}},
                                {{"type", "flatten"}},
                                {{"type", "dense"}, {"units", 3}}});
  expect_data_parallel_equals_alone(spec);  // the last batch of 2 leaves one image a rank
}

TEST(DataParallel, SynchronisedBatchNormNeedsSamplesOnEveryRank) {
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "batch_norm"}, {"sync", true}});
  spec["data"]["samples"] = 49;  // the last batch of 1 leaves rank 0 without a sample
  try {
    train(spec, world());
    FAIL() << "a rank without samples was let into a synchronised batch norm";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("layers[1] (batch_norm) synchronises its batch statistics across the 2 ranks"), std::string::npos)
        << e.what();
  }
}

// Independent runs shared out (search trials, cross-validation folds): each rank runs its own tasks, and every rank
// then sees every task's result, in task order, whatever their lengths (an empty string, long ones).
TEST(DataParallel, TasksAreSharedOutAndEveryRankGetsEveryResult) {
  EXPECT_EQ(gather_strings(*world(), world()->rank() == 0 ? "" : std::string(1000, 'x')), (std::vector<std::string>{"", std::string(1000, 'x')}));
  std::vector<int> ran_by;
  std::vector<std::pair<std::size_t, Json>> seen;
  spread_over_ranks(world().get(), 5, [&](std::size_t i) {
    ran_by.push_back(static_cast<int>(i));
    return Json{{"task", i}, {"rank", world()->rank()}, {"text", std::string(i * 10, 'a')}};
  }, [&](std::size_t i, const Json& result) { seen.emplace_back(i, result); });
  EXPECT_EQ(ran_by, world()->rank() == 0 ? (std::vector<int>{0, 2, 4}) : (std::vector<int>{1, 3}));
  ASSERT_EQ(seen.size(), 5u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, i);
    EXPECT_EQ(seen[i].second["task"], i);
    EXPECT_EQ(seen[i].second["rank"], static_cast<int>(i % 2));
    EXPECT_EQ(seen[i].second["text"], std::string(i * 10, 'a'));
  }
}

TEST(DataParallel, InitialWeightsComeFromRankZero) {
  Json spec = base_spec();
  spec["training"]["epochs"] = 0;
  spec["seed"] = 7 + world()->rank();  // each rank would initialise differently
  const Outcome parallel = train(spec, world());
  spec["seed"] = 7;
  const Outcome rank_zero = train(spec, nullptr);
  expect_same(rank_zero, parallel, 0.0, false);
}

TEST(DataParallel, ACheckpointOfTwoRanksResumesInOneProcess) {
  const auto path = std::filesystem::temp_directory_path() / "nnplug_data_parallel_checkpoint.safetensors";
  Json spec = base_spec();
  spec["layers"].insert(spec["layers"].begin() + 1, Json{{"type", "dropout"}, {"rate", 0.3}});
  const Outcome alone = train(spec, nullptr);
  // Two ranks train the first 2 epochs; rank 0 alone writes the checkpoint.
  Json first = spec;
  first["training"]["epochs"] = 2;
  first["callbacks"] = Json::array({{{"type", "checkpoint"}, {"path", path.string()}}});
  world()->barrier();
  std::filesystem::remove(path);
  world()->barrier();
  train(first, world());
  world()->barrier();
  // Every rank alone goes on from it for the third.
  const Outcome resumed = train(spec, nullptr, [&](Experiment& ex) {
    ex.fit.initial_epoch = restore_checkpoint(path, parse_spec(spec.dump(), "data_parallel.json"), *ex.model, *ex.optimizer).epoch;
  });
  EXPECT_EQ(resumed.history.size(), 1u);
  Outcome last_epoch_alone = alone;
  last_epoch_alone.history.erase(last_epoch_alone.history.begin(), last_epoch_alone.history.end() - 1);
  expect_same(last_epoch_alone, resumed, 1e-12, false);
  world()->barrier();
  if (world()->rank() == 0) std::filesystem::remove(path);
}

TEST(DataParallel, RanksThatDisagreeAreNamed) {
  EXPECT_NO_THROW(require_same_on_every_rank(*world(), "the spec", "same"));
  try {
    require_same_on_every_rank(*world(), "the spec", world()->rank() == 0 ? "a" : "b", "start every rank alike");
    FAIL() << "ranks with different specs were accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "the spec: rank 1 does not match rank 0; start every rank alike");
  }
}

TEST(DataParallel, SumsOverRanksAndShards) {
  const auto sums = sum_over_ranks(*world(), {1.0, static_cast<double>(world()->rank())});
  EXPECT_EQ(sums, (std::vector<double>{2.0, 1.0}));
  EXPECT_EQ(shard_of(5, 0, 2).size(), 2);
  EXPECT_EQ(shard_of(5, 1, 2).begin, 2);
  EXPECT_EQ(shard_of(1, 0, 2).size(), 0);
  EXPECT_EQ(shard_of(1, 1, 2).size(), 1);
}

}  // namespace
}  // namespace nnplug::test

// Every rank runs every test; rank 0 alone prints (a failure on another rank still fails the run: mpirun returns
// its non-zero exit).
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (nnplug::test::world()->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
