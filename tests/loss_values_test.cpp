// Loss values against closed forms (the gradients are checked against centred differences in
// gradient_check_test.cpp): weights, focal losses at logits where every probability is known, cross-entropy of
// uniform and of huge logits.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

TEST(Loss, ClassAndPositiveWeightsMustBeOnePerOutputAndNotNegative) {
  // The ShapeError a loss's check gives for a model of 3 outputs, or "accepted".
  const auto refusal = [](const Params::Json& spec, std::int64_t num_classes) {
    try {
      registry().create_loss(Params("test", spec))->check(Shape{3}, num_classes);
    } catch (const ShapeError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal({{"type", "softmax_cross_entropy"}, {"class_weights", {1.0, 2.0}}}, 3),
            "softmax_cross_entropy: class_weights has 2 weights but the model outputs 3 scores per sample, one per class");
  EXPECT_EQ(refusal({{"type", "nll"}, {"class_weights", {1.0, 2.0}}}, 3),
            "nll: class_weights has 2 weights but the model outputs [3] per sample; it takes one per class");
  EXPECT_THROW(registry().create_loss(Params("test", {{"type", "hinge"}, {"class_weights", {1.0, -0.5}}})), InvalidArgument);
  EXPECT_THROW(registry().create_loss(Params("test", {{"type", "nll"}, {"class_weights", {1.0, -0.5}}})), InvalidArgument);
  EXPECT_EQ(refusal({{"type", "multilabel_sigmoid"}, {"pos_weight", {1.0, 2.0}}}, 0),
            "multilabel_sigmoid: pos_weight has 2 weights but the model outputs 3 values per sample, one weight per output");
}

// At logit 0 every element has p_t = 1/2 and cross-entropy log 2: the focus (1/2)^2 and alpha 0.25 for a positive
// target, 0.75 for a negative one, give a mean of (0.25 + 0.75) / 2 / 4 log 2. One unit takes two classes' labels.
TEST(Loss, BinaryFocalCrossEntropyAtLogitZeroAndOnOneUnit) {
  auto backend = cpu_backend();
  auto loss = registry().create_loss(Params("test", "binary_focal_cross_entropy"));
  Tensor value = backend->empty(Shape{1}, DType::Float64);
  loss->compute(tensor(*backend, Shape{2, 1}, {0.0, 0.0}), tensor(*backend, Shape{2, 1}, {1.0, 0.0}), value, Tensor());
  EXPECT_NEAR(to_host<double>(value)[0], 0.125 * std::log(2.0), 1e-15);
  EXPECT_NO_THROW(loss->check(Shape{1}, 2));
  EXPECT_EQ(error_of([&] { loss->check(Shape{3}, 4); }),
            "binary_focal_cross_entropy: the model outputs [3] per sample but the data has 4 classes; the last layer needs 4 units (or 1 unit for "
            "two classes)");
}

// At equal logits over 4 classes every p is 1/4: alpha (3/4)^gamma log 4 for a one-hot target, whichever class; with
// gamma 0 and alpha 1, softmax cross-entropy, log 4.
TEST(Loss, CategoricalFocalCrossEntropyAtEqualLogits) {
  auto backend = cpu_backend();
  Tensor value = backend->empty(Shape{1}, DType::Float64);
  const Tensor z = tensor(*backend, Shape{2, 4}, {0, 0, 0, 0, 3, 3, 3, 3}), t = tensor(*backend, Shape{2, 4}, {0, 1, 0, 0, 0, 0, 0, 1});
  registry().create_loss(Params("test", "categorical_focal_cross_entropy"))->compute(z, t, value, Tensor());
  EXPECT_NEAR(to_host<double>(value)[0], 0.25 * 0.5625 * std::log(4.0), 1e-15);
  registry().create_loss(Params("test", {{"type", "categorical_focal_cross_entropy"}, {"gamma", 0}, {"alpha", 1}}))->compute(z, t, value, Tensor());
  EXPECT_NEAR(to_host<double>(value)[0], std::log(4.0), 1e-15);
}

TEST(Loss, EqualClassWeightsScaleTheLoss) {
  // Every weight 2: twice the unweighted loss, log C for uniform logits.
  auto backend = cpu_backend();
  auto loss = registry().create_loss(Params("test", {{"type", "softmax_cross_entropy"}, {"class_weights", std::vector<double>(10, 2.0)}}));
  Tensor value = backend->empty(Shape{1}, DType::Float64);
  loss->compute(tensor(*backend, Shape{2, 10}, std::vector<double>(20, 3.0)), tensor(*backend, Shape{2}, {1, 7}, DType::Int32), value, Tensor());
  EXPECT_NEAR(to_host<double>(value)[0], 2.0 * std::log(10.0), 1e-12);
}

TEST(Loss, SoftmaxCrossEntropyOfUniformLogitsIsLogC) {
  auto backend = cpu_backend();
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  Tensor value = backend->empty(Shape{1}, DType::Float64);
  loss->compute(tensor(*backend, Shape{2, 10}, std::vector<double>(20, 3.0)),
                tensor(*backend, Shape{2}, {1, 7}, DType::Int32), value, Tensor());
  EXPECT_NEAR(to_host<double>(value)[0], std::log(10.0), 1e-12);
}

TEST(Loss, SoftmaxCrossEntropyIsStableForHugeLogits) {
  auto backend = cpu_backend();
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  Tensor value = backend->empty(Shape{1}, DType::Float32);
  // -log softmax = logsumexp(z) - z_y = 1000 + log(1 + e^-1000) - 0 = 1000 (naive exp overflows to inf).
  loss->compute(tensor(*backend, Shape{1, 2}, {0.0, 1000.0}, DType::Float32),
                tensor(*backend, Shape{1}, {0}, DType::Int32), value, Tensor());
  EXPECT_FLOAT_EQ(to_host<float>(value)[0], 1000.0f);
}

TEST(Loss, MeanSquaredErrorIsMeanOverEveryElement) {
  auto backend = cpu_backend();
  auto loss = registry().create_loss(Params("test", "mse"));
  Tensor value = backend->empty(Shape{1}, DType::Float64);
  loss->compute(tensor(*backend, Shape{2, 2}, {1, 2, 3, 4}), tensor(*backend, Shape{2, 2}, {0, 0, 3, 2}), value, Tensor());
  EXPECT_DOUBLE_EQ(to_host<double>(value)[0], (1.0 + 4.0 + 0.0 + 4.0) / 4.0);
}

}  // namespace
}  // namespace nnplug::test
