// batch_norm against the chapter's worked numbers and against PyTorch (two training steps, then eval).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "nnplug/framework/experiment.hpp"
#include "test_support.hpp"
#include "torch_reference.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

std::shared_ptr<Layer> batch_norm(Backend& be, const Shape& sample, const Json& spec = "batch_norm",
                                  DType dtype = DType::Float64) {
  auto layer = registry().create_layer(Params("test", spec));
  layer->build(sample, BuildContext{be, dtype});
  return layer;
}

void set(Parameter* p, const std::vector<double>& v) { from_host(p->value, v); }

// Channel c of an (N, C, ...) tensor's values, for the closed forms the kernels are compared with, in double.
struct ChannelValues {
  const Shape& shape;
  std::int64_t c;
  std::int64_t inner() const { return shape.numel() / (shape[0] * shape[1]); }
  double count() const { return static_cast<double>(shape[0] * inner()); }
  // Calls f(flat index) for each of the channel's values.
  template <typename F>
  void each(F&& f) const {
    for (std::int64_t b = 0; b < shape[0]; ++b)
      for (std::int64_t i = 0; i < inner(); ++i) f(static_cast<std::size_t>((b * shape[1] + c) * inner() + i));
  }
  double mean(const std::vector<double>& x) const {
    double sum = 0;
    each([&](std::size_t j) { sum += x[j]; });
    return sum / count();
  }
  double biased_variance(const std::vector<double>& x, double mean) const {
    double sum = 0;
    each([&](std::size_t j) { sum += (x[j] - mean) * (x[j] - mean); });
    return sum / count();
  }
};

TEST(BatchNorm, ChapterAppendixForwardAndBackward) {
  // seeds_003_004 appendix: x = [1, 2, 3, 4] as one feature over a batch of 4.
  auto be = cpu_backend();
  auto layer = batch_norm(*be, Shape{1});
  auto params = layer->parameters();
  set(params[0], {1.0}), set(params[1], {0.0}), set(params[2], {0.0}), set(params[3], {1.0});
  Tensor x = tensor(*be, Shape{4, 1}, {1, 2, 3, 4});
  const auto y = to_host<double>(layer->forward(x));
  const double want[] = {-1.3416354, -0.4472118, 0.4472118, 1.3416354};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[static_cast<std::size_t>(i)], want[i], 1e-7);

  set(params[0], {2.0});  // gamma = 2 for the backward case
  layer->forward(x);
  const auto dx = to_host<double>(layer->backward(tensor(*be, Shape{4, 1}, {0.1, -0.2, 0.3, 0.4}), true));
  EXPECT_NEAR(to_host<double>(params[1]->grad)[0], 0.6, 1e-7);
  EXPECT_NEAR(to_host<double>(params[0]->grad)[0], 0.6260965, 1e-7);
  const double want_dx[] = {0.2862126, -0.5008782, 0.1431088, 0.0715569};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(dx[static_cast<std::size_t>(i)], want_dx[i], 1e-7);
}

void expect_close(const std::vector<double>& got, const Json& want, double rel, const std::string& what) {
  const auto w = want.get<std::vector<double>>();
  ASSERT_EQ(got.size(), w.size()) << what;
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(got[i], w[i], rel * std::max(std::abs(w[i]), 1e-3)) << what << " [" << i << "]";
}

class BatchNormTorch : public ::testing::TestWithParam<DType> {};

TEST_P(BatchNormTorch, TwoTrainingStepsThenEval) {
  const DType dtype = GetParam();
  const double rel = dtype == DType::Float64 ? 1e-6 : 1e-4;
  auto be = cpu_backend();
  for (const auto& c : torch_reference()["batch_norm"]) {
    const Shape shape(c["shape"].get<std::vector<std::int64_t>>());
    auto layer = batch_norm(*be, shape.without_batch(), c["spec"], dtype);
    auto params = layer->parameters();
    set(params[0], c["gamma"].get<std::vector<double>>());
    set(params[1], c["beta"].get<std::vector<double>>());
    set(params[2], std::vector<double>(3, 0.0));
    set(params[3], std::vector<double>(3, 1.0));
    const std::string what = shape.str();
    layer->forward(tensor(*be, shape, c["x1"].get<std::vector<double>>(), dtype));
    expect_close(to_host<double>(layer->forward(tensor(*be, shape, c["x2"].get<std::vector<double>>(), dtype))), c["y2"], rel, fmt::format("{} y", what));
    expect_close(to_host<double>(layer->backward(tensor(*be, shape, c["dy"].get<std::vector<double>>(), dtype), true)), c["dx"], rel, fmt::format("{} dx", what));
    expect_close(to_host<double>(params[0]->grad), c["dgamma"], rel, fmt::format("{} dgamma", what));
    expect_close(to_host<double>(params[1]->grad), c["dbeta"], rel, fmt::format("{} dbeta", what));
    expect_close(to_host<double>(params[2]->value), c["running_mean"], rel, fmt::format("{} running_mean", what));
    expect_close(to_host<double>(params[3]->value), c["running_var"], rel, fmt::format("{} running_var", what));
    layer->set_training(false);
    expect_close(to_host<double>(layer->forward(tensor(*be, shape, c["x3"].get<std::vector<double>>(), dtype))), c["y3_eval"], rel, fmt::format("{} eval y", what));
  }
}

INSTANTIATE_TEST_SUITE_P(BothDtypes, BatchNormTorch, ::testing::Values(DType::Float64, DType::Float32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(BatchNorm, CountsRunningStatisticsAsNonTrainable) {
  auto be = cpu_backend();
  auto layer = batch_norm(*be, Shape{8});
  int trainable = 0, frozen = 0;
  for (Parameter* p : layer->parameters()) (p->trainable ? trainable : frozen) += static_cast<int>(p->value.numel());
  EXPECT_EQ(trainable, 16);
  EXPECT_EQ(frozen, 16);
}

// The epilogue, y = f(gamma xhat + beta), against the closed form: in training (batch statistics) and eval mode
// (running ones), on convolution activations (N, C, H, W) and a dense layer's (N, C); ReLU, ReLU6 (cut at both ends)
// and leaky ReLU, run in the pass that normalises, and tanh, after it.
TEST(BatchNorm, EpilogueAppliesTheFunctionToTheNormalisedValues) {
  auto be = cpu_backend();
  const std::vector<std::tuple<const char*, Pointwise, double, double (*)(double)>> functions{
      {"relu", Pointwise::Relu, kFunctionDefault, [](double z) { return std::max(z, 0.0); }},
      {"relu6", Pointwise::Relu6, kFunctionDefault, [](double z) { return std::clamp(z, 0.0, 6.0); }},
      {"leaky relu 0.25", Pointwise::LeakyRelu, 0.25, [](double z) { return z > 0 ? z : 0.25 * z; }},
      {"tanh", Pointwise::Tanh, kFunctionDefault, [](double z) { return std::tanh(z); }}};
  for (const Shape& shape : {Shape{4, 3, 5, 2}, Shape{12, 3}})
    for (const bool training : {true, false}) {
      const std::int64_t channels = shape[1];
      const auto x = random_normal(static_cast<std::size_t>(shape.numel()), 31);
      const std::vector<double> gamma{1.5, -0.5, 4}, beta{0.25, 0.5, 3}, running_mean{0.1, -0.2, 0.3}, running_var{0.5, 2, 1};
      const Shape channel{channels};
      for (const auto& [what, fn, alpha, f] : functions) {
        SCOPED_TRACE(fmt::format("{}, training {}, {}", shape.str(), training, what));
        Tensor y = be->empty(shape, DType::Float64), mean = be->empty(channel, DType::Float64), invstd = be->empty(channel, DType::Float64);
        be->run(op::BatchNorm{tensor(*be, shape, x), tensor(*be, channel, gamma), tensor(*be, channel, beta), y, mean, invstd,
                              tensor(*be, channel, running_mean), tensor(*be, channel, running_var), 0.1, 1e-5, training, fn, alpha});
        const auto got = to_host<double>(y);
        int below_zero = 0, above_six = 0;
        for (std::int64_t c = 0; c < channels; ++c) {
          const ChannelValues channel_values{shape, c};
          const auto k = static_cast<std::size_t>(c);
          const double mu = training ? channel_values.mean(x) : running_mean[k];
          const double var = training ? channel_values.biased_variance(x, mu) : running_var[k];
          const auto function = f;  // a copy: clang 14 (the sanitizer build) cannot capture structured bindings in lambdas
          channel_values.each([&](std::size_t j) {
            const double z = gamma[k] * (x[j] - mu) / std::sqrt(var + 1e-5) + beta[k];
            below_zero += z < 0;
            above_six += z > 6;
            EXPECT_NEAR(got[j], function(z), 1e-12) << "channel " << c << ", value " << j;
          });
        }
        EXPECT_GT(below_zero, 0) << "no value for the function to cut";
        EXPECT_GT(above_six, 0) << "no value for relu6 to cut at 6";
      }
    }
}

// Backward through the ReLU before the layer as well (input_activation): x = relu(z) holds zeros, and dx is the
// closed form where x > 0 and 0 where x = 0; in training and eval mode, on (N, C, H, W) and (N, C).
TEST(BatchNorm, BackwardTakesTheGradientThroughTheReluBeforeIt) {
  auto be = cpu_backend();
  for (const Shape& shape : {Shape{4, 3, 5, 2}, Shape{12, 3}})
    for (const bool training : {true, false}) {
      SCOPED_TRACE(fmt::format("{}, training {}", shape.str(), training));
      const std::int64_t channels = shape[1];
      auto x = random_normal(static_cast<std::size_t>(shape.numel()), 41);
      for (double& v : x) v = std::max(v, 0.0);
      const auto dy = random_normal(x.size(), 42);
      const std::vector<double> gamma{1.5, -0.5, 2}, beta{0.25, 0.5, -1}, running_mean{0.1, -0.2, 0.3}, running_var{0.5, 2, 1};
      const Shape channel{channels};
      Tensor tx = tensor(*be, shape, x), y = be->empty(shape, DType::Float64), mean = be->empty(channel, DType::Float64),
             invstd = be->empty(channel, DType::Float64), dx = be->empty(shape, DType::Float64), g = tensor(*be, channel, gamma),
             dgamma = be->empty(channel, DType::Float64), dbeta = be->empty(channel, DType::Float64);
      be->run(op::BatchNorm{tx, g, tensor(*be, channel, beta), y, mean, invstd, tensor(*be, channel, running_mean),
                            tensor(*be, channel, running_var), 0.1, 1e-5, training});
      be->run(op::BatchNormGrad{tx, g, tensor(*be, shape, dy), mean, invstd, dx, dgamma, dbeta, training, Pointwise::Relu});
      const auto got = to_host<double>(dx);
      int zeros = 0;
      for (std::int64_t c = 0; c < channels; ++c) {
        const ChannelValues channel_values{shape, c};
        const auto k = static_cast<std::size_t>(c);
        const double m = channel_values.count();
        const double mu = training ? channel_values.mean(x) : running_mean[k];
        const double is = 1.0 / std::sqrt((training ? channel_values.biased_variance(x, mu) : running_var[k]) + 1e-5);
        double sum_dy = 0, sum_dy_xhat = 0;
        channel_values.each([&](std::size_t j) { sum_dy += dy[j], sum_dy_xhat += dy[j] * (x[j] - mu) * is; });
        channel_values.each([&](std::size_t j) {
          const double xhat = (x[j] - mu) * is;
          const double through_bn = training ? gamma[k] * is / m * (m * dy[j] - sum_dy - xhat * sum_dy_xhat) : gamma[k] * is * dy[j];
          zeros += x[j] == 0;
          EXPECT_NEAR(got[j], x[j] > 0 ? through_bn : 0.0, 1e-12) << "channel " << c << ", value " << j;
        });
      }
      EXPECT_GT(zeros, 0) << "no value for the ReLU to have cut";
    }
}

// The CPU kernels in float32 on values far from zero (mean 1000, standard deviation 0.5: a one-pass variance
// without a shift would lose every digit) against the closed forms in double, on the float32 inputs: convolution
// activations (N, C, H, W) and a dense layer's (N, C).
TEST(BatchNorm, Float32KernelsKeepTheirPrecisionOnValuesFarFromZero) {
  auto be = cpu_backend();
  for (const Shape& shape : {Shape{16, 3, 9, 7}, Shape{200, 5}}) {
    const std::int64_t channels = shape[1];
    std::vector<double> x(static_cast<std::size_t>(shape.numel())), dy(x.size());
    Random random(3);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = static_cast<double>(static_cast<float>(1000.0 + 0.5 * random.normal()));  // as float32 holds them
      dy[i] = static_cast<double>(static_cast<float>(random.normal()));
    }
    const Shape channel{channels};
    Tensor tx = tensor(*be, shape, x, DType::Float32), tdy = tensor(*be, shape, dy, DType::Float32);
    Tensor y = be->empty(shape, DType::Float32), dx = be->empty(shape, DType::Float32);
    Tensor gamma = tensor(*be, channel, std::vector<double>(static_cast<std::size_t>(channels), 1.5), DType::Float32);
    Tensor beta = tensor(*be, channel, std::vector<double>(static_cast<std::size_t>(channels), 0.25), DType::Float32);
    Tensor mean = be->empty(channel, DType::Float32), invstd = be->empty(channel, DType::Float32);
    Tensor running_mean = tensor(*be, channel, std::vector<double>(static_cast<std::size_t>(channels), 0.0), DType::Float32);
    Tensor running_var = tensor(*be, channel, std::vector<double>(static_cast<std::size_t>(channels), 1.0), DType::Float32);
    Tensor dgamma = be->empty(channel, DType::Float32), dbeta = be->empty(channel, DType::Float32);
    be->run(op::BatchNorm{tx, gamma, beta, y, mean, invstd, running_mean, running_var});
    be->run(op::BatchNormGrad{tx, gamma, tdy, mean, invstd, dx, dgamma, dbeta});
    const auto got_y = to_host<double>(y), got_dx = to_host<double>(dx), got_invstd = to_host<double>(invstd);
    const auto got_rvar = to_host<double>(running_var), got_dgamma = to_host<double>(dgamma), got_dbeta = to_host<double>(dbeta);
    for (std::int64_t c = 0; c < channels; ++c) {
      const ChannelValues channel_values{shape, c};
      const double m = channel_values.count(), mu = channel_values.mean(x), var = channel_values.biased_variance(x, mu);
      const double is = 1.0 / std::sqrt(var + 1e-5);
      double sum_dy = 0, sum_dy_xhat = 0;
      channel_values.each([&](std::size_t j) { sum_dy += dy[j], sum_dy_xhat += dy[j] * (x[j] - mu) * is; });
      const auto k = static_cast<std::size_t>(c);
      EXPECT_NEAR(got_invstd[k], is, 1e-4 * is) << shape.str() << " channel " << c;
      EXPECT_NEAR(got_rvar[k], 0.9 + 0.1 * var * m / (m - 1), 1e-4) << shape.str();
      EXPECT_NEAR(got_dbeta[k], sum_dy, 1e-4 * m) << shape.str();
      EXPECT_NEAR(got_dgamma[k], sum_dy_xhat, 1e-3 * std::sqrt(m)) << shape.str();
      channel_values.each([&](std::size_t j) {
        const double xhat = (x[j] - mu) * is;
        EXPECT_NEAR(got_y[j], 1.5 * xhat + 0.25, 2e-3) << shape.str() << " channel " << c << ", value " << j;
        const double want_dx = 1.5 * is / m * (m * dy[j] - sum_dy - xhat * sum_dy_xhat);
        EXPECT_NEAR(got_dx[j], want_dx, 2e-3 * 1.5 * is) << shape.str() << " channel " << c << ", value " << j;
      });
    }
  }
}

// Batch norm after a dense layer sees one value per feature in a sample: a last batch of one sample would fail at
// the end of the first epoch (as in PyTorch), so training refuses it before the first step. After a convolution
// (many values per channel) a batch of one is fine; so is the same data with drop_last.
TEST(BatchNorm, ALastBatchOfOneSampleIsRefusedBeforeTrainingWhereItCannotBeNormalised) {
  const auto spec = [](const char* layers, const char* training) {
    return parse_spec(fmt::format(R"({{"seed": 1, "data": {{"format": "gaussian_blobs", "samples": 65, "centers": 3, "features": 16, "sample_shape": [1, 4, 4]}},
      "layers": {}, "loss": "softmax_cross_entropy", "optimizer": "adam", "training": {}}})", layers, training), "spec.json");
  };
  const char* dense = R"([{"type": "flatten"}, {"type": "dense", "units": 8}, {"type": "batch_norm"}, {"type": "dense", "units": 3}])";
  auto ex = build_experiment(spec(dense, R"({"epochs": 1, "batch_size": 32})"), registry());
  ex.fit.progress = false;
  const auto before = to_host<double>(ex.model->parameters()[0]->value);
  EXPECT_EQ(error_of([&] { Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit); }),
            "layers[2] (batch_norm) cannot normalise a batch of 1 sample in training (one value per feature): batch_size 32 leaves 1 of the 65 "
            "samples in the last batch; set training.drop_last, or a batch size that leaves 0 or at least 2 there");
  EXPECT_EQ(to_host<double>(ex.model->parameters()[0]->value), before);  // no step was taken
  ex.fit.batch_size = 1;
  EXPECT_EQ(error_of([&] { Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit); }),
            "layers[2] (batch_norm) cannot normalise a batch of 1 sample in training (one value per feature): choose a batch_size of 2 or more");
  for (const auto& [layers, training] : {std::pair{dense, R"({"epochs": 1, "batch_size": 32, "drop_last": true})"},
                                         std::pair{R"([{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "batch_norm"}, {"type": "flatten"},
                                                      {"type": "dense", "units": 3}])", R"({"epochs": 1, "batch_size": 32})"}}) {
    auto fine = build_experiment(spec(layers, training), registry());
    fine.fit.progress = false;
    EXPECT_EQ(Trainer(*fine.model, fine.loss, fine.optimizer).fit(fine.train, nullptr, fine.fit).size(), 1u) << layers;
  }
}

}  // namespace
}  // namespace nnplug::test
