// Float64 gradient checks (centred differences, by the conformance kit) of every loss plugin, with the chapter's
// verdict: relative error |a - n| / max(|a|, |n|) below 1e-7 is correct. The layers' and activations' are in
// gradient_check_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

void check_loss(const Params::Json& name, const Tensor& target, std::vector<double> pred_values = random_normal(20, 4)) {
  auto loss = registry().create_loss(Params("test", name));
  const Shape shape = target.dtype() == DType::Int32 ? Shape{4, 5} : target.shape();
  const auto result = conformance::check_loss_gradient(*loss, target.backend(), shape, pred_values, target);  // the target's own backend
  EXPECT_TRUE(result.passed) << result.check << ": " << result.detail;
}

Tensor labels(Backend& be) { return tensor(be, Shape{4}, {0, 3, 4, 1}, DType::Int32); }
Tensor zeros_and_ones(Backend& be) { return tensor(be, Shape{4, 5}, {0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0}); }

TEST(GradientCheck, SoftmaxCrossEntropy) { check_loss("softmax_cross_entropy", labels(*cpu_backend())); }
TEST(GradientCheck, SoftmaxCrossEntropyWithLabelSmoothing) {
  check_loss({{"type", "softmax_cross_entropy"}, {"label_smoothing", 0.2}}, labels(*cpu_backend()));
}
TEST(GradientCheck, ClassWeightedLosses) {
  const Params::Json weights = {0.5, 2.0, 1.0, 0.0, 3.0};
  check_loss({{"type", "softmax_cross_entropy"}, {"class_weights", weights}}, labels(*cpu_backend()));
  check_loss({{"type", "softmax_cross_entropy"}, {"class_weights", weights}, {"label_smoothing", 0.2}}, labels(*cpu_backend()));
  check_loss({{"type", "hinge"}, {"class_weights", weights}}, labels(*cpu_backend()));
  check_loss({{"type", "squared_hinge"}, {"class_weights", weights}, {"class_reduction", "sum"}}, labels(*cpu_backend()));
}
// Probability targets: rows of a distribution (one of them a single class), with smoothing and class weights.
TEST(GradientCheck, SoftmaxCrossEntropyOfProbabilities) {
  const Tensor probabilities = tensor(*cpu_backend(), Shape{4, 5}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
                                                                    0.5, 0.5, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2});
  check_loss({{"type", "softmax_cross_entropy"}, {"targets", "probabilities"}}, probabilities);
  check_loss({{"type", "softmax_cross_entropy"}, {"targets", "probabilities"}, {"label_smoothing", 0.2}, {"class_weights", {0.5, 2.0, 1.0, 0.0, 3.0}}},
             probabilities);
}
TEST(GradientCheck, MeanSquaredError) {
  auto be = cpu_backend();
  check_loss("mse", tensor(*be, Shape{4, 5}, random_normal(20, 5)));
}
TEST(GradientCheck, MeanAbsoluteError) {
  auto be = cpu_backend();
  check_loss("mae", tensor(*be, Shape{4, 5}, random_normal(20, 5)));
}
TEST(GradientCheck, HuberOnBothSidesOfDelta) {
  auto be = cpu_backend();
  check_loss({{"type", "huber"}, {"delta", 0.8}}, tensor(*be, Shape{4, 5}, random_normal(20, 5)));
}
TEST(GradientCheck, CategoricalCrossEntropyOnProbabilities) {
  // Rows of a softmax: valid probabilities, none near the clamp.
  auto v = random_normal(20, 8);
  for (int i = 0; i < 4; ++i) {
    double sum = 0;
    for (int j = 0; j < 5; ++j) sum += (v[static_cast<std::size_t>(i * 5 + j)] = std::exp(v[static_cast<std::size_t>(i * 5 + j)]));
    for (int j = 0; j < 5; ++j) v[static_cast<std::size_t>(i * 5 + j)] /= sum;
  }
  check_loss("categorical_cross_entropy", labels(*cpu_backend()), v);
}
TEST(GradientCheck, Hinge) { check_loss("hinge", labels(*cpu_backend())); }
TEST(GradientCheck, HingeWestonWatkinsSum) { check_loss({{"type", "hinge"}, {"class_reduction", "sum"}}, labels(*cpu_backend())); }
TEST(GradientCheck, SquaredHinge) { check_loss("squared_hinge", labels(*cpu_backend())); }
TEST(GradientCheck, BinaryCrossEntropy) { check_loss("binary_cross_entropy", zeros_and_ones(*cpu_backend())); }
TEST(GradientCheck, MultilabelSigmoid) { check_loss("multilabel_sigmoid", zeros_and_ones(*cpu_backend())); }
TEST(GradientCheck, BinaryCrossEntropyWithPositiveWeights) {
  check_loss({{"type", "binary_cross_entropy"}, {"pos_weight", {0.5, 2.0, 1.0, 0.0, 3.0}}}, zeros_and_ones(*cpu_backend()));
}
TEST(GradientCheck, Perceptron) { check_loss("perceptron", zeros_and_ones(*cpu_backend())); }
TEST(GradientCheck, AttributeHingeOnZeroOneAndSignedLabels) {
  auto be = cpu_backend();
  check_loss("attribute_hinge", zeros_and_ones(*be));
  check_loss({{"type", "attribute_hinge"}, {"margin", 0.5}}, tensor(*be, Shape{4, 5}, {-1, 1, 1, -1, -1, 1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, 1, -1, 1, -1}));
}
// The losses of their plugins' own ops.
TEST(GradientCheck, LogCosh) { check_loss("log_cosh", tensor(*cpu_backend(), Shape{4, 5}, random_normal(20, 5))); }
TEST(GradientCheck, PoissonOnLogRatesAndOnRates) {
  auto be = cpu_backend();
  const Tensor counts = tensor(*be, Shape{4, 5}, {0, 1, 2, 5, 0, 3, 0, 1, 1, 7, 0, 0, 2, 4, 1, 1, 9, 0, 2, 3});
  check_loss("poisson", counts);
  std::vector<double> rates = random_normal(20, 4);
  for (double& r : rates) r = std::exp(r);
  check_loss({{"type", "poisson"}, {"log_input", false}, {"full", true}}, counts, rates);
}
TEST(GradientCheck, KlDivergenceWithZerosInTheTargetsAndATemperature) {
  const Tensor distributions = tensor(*cpu_backend(), Shape{4, 5}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
                                                                   0.5, 0.5, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2});
  check_loss("kl_divergence", distributions);
  check_loss({{"type", "kl_divergence"}, {"temperature", 3.0}}, distributions);
}
TEST(GradientCheck, CosineSimilarity) { check_loss("cosine_similarity", tensor(*cpu_backend(), Shape{4, 5}, random_normal(20, 5))); }
// Hard labels at the defaults; soft labels with gamma below 1, whose focus is steepest near an easy element; logits
// of standard deviation 6, whose easy elements are focused all but away.
TEST(GradientCheck, BinaryFocalCrossEntropy) {
  auto be = cpu_backend();
  check_loss("binary_focal_cross_entropy", zeros_and_ones(*be));
  std::vector<double> soft = random_normal(20, 6);
  for (double& t : soft) t = 1.0 / (1.0 + std::exp(-t));
  check_loss({{"type", "binary_focal_cross_entropy"}, {"gamma", 0.5}, {"alpha", 0.9}}, tensor(*be, Shape{4, 5}, soft));
  std::vector<double> large = random_normal(20, 7);
  for (double& z : large) z *= 6.0;
  check_loss({{"type", "binary_focal_cross_entropy"}, {"gamma", 3.0}, {"alpha", -1.0}}, zeros_and_ones(*be), large);
}

// One-hot targets (class labels as the trainer gives them) at the defaults; a distribution with zeros and gamma
// below 1, whose focus is steepest near a sure class; logits of up to 18, where one class's p nears 1.
TEST(GradientCheck, CategoricalFocalCrossEntropy) {
  auto be = cpu_backend();
  const Tensor one_hot = tensor(*be, Shape{4, 5}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0});
  check_loss("categorical_focal_cross_entropy", one_hot);
  const Tensor distributions = tensor(*be, Shape{4, 5}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
                                                        0.5, 0.5, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2});
  check_loss({{"type", "categorical_focal_cross_entropy"}, {"gamma", 0.5}, {"alpha", 1.0}}, distributions);
  std::vector<double> large = random_normal(20, 8);
  for (double& z : large) z *= 6.0;
  check_loss({{"type", "categorical_focal_cross_entropy"}, {"gamma", 3.0}}, one_hot, large);
}

// Keras's and PyTorch's regression losses of their plugins' ops, on random normal predictions: msle's above its clamp
// (|z| + 0.1) against counts with zeros; smooth_l1 at beta 1 and 0.5, whose differences fall in both branches.
TEST(GradientCheck, MsleMapeAndSmoothL1) {
  auto be = cpu_backend();
  std::vector<double> positive = random_normal(20, 4);
  for (double& p : positive) p = std::abs(p) + 0.1;
  check_loss("msle", tensor(*be, Shape{4, 5}, {0, 1, 2, 5, 0, 3, 0, 1, 1, 7, 0, 0, 2, 4, 1, 1, 9, 0, 2, 3}), positive);
  const Tensor values = tensor(*be, Shape{4, 5}, random_normal(20, 5));
  check_loss("mape", values);
  check_loss("smooth_l1", values);
  check_loss({{"type", "smooth_l1"}, {"beta", 0.5}}, values);
}

// NLL of log-probabilities (random normals: the loss is linear in them) against one-hot rows and a distribution.
TEST(GradientCheck, Nll) {
  auto be = cpu_backend();
  check_loss("nll", tensor(*be, Shape{4, 5}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0}));
  check_loss(Params::Json::parse(R"({"type": "nll", "class_weights": [0.5, 2, 1, 0, 3]})"),
             tensor(*be, Shape{4, 5}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0}));
  check_loss("nll", tensor(*be, Shape{4, 5}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2}));
}

// One-hot targets, and a distribution, whose largest other-class term moves with the scores.
TEST(GradientCheck, CategoricalHinge) {
  auto be = cpu_backend();
  check_loss("categorical_hinge", tensor(*be, Shape{4, 5}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0}));
  check_loss("categorical_hinge", tensor(*be, Shape{4, 5}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
                                                            0.5, 0.5, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2}));
}

}  // namespace
}  // namespace nnplug::test
