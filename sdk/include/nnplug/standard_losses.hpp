#pragma once
// The two families of losses every backend computes natively: row losses against class labels (op::ClassLoss)
// and element-wise losses against values (op::ElementwiseLoss). Each loss plugin configures one of them.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/loss.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

// Weights a loss passes to its op as a tensor (none: an undefined one), uploaded once for each backend and dtype of
// the predictions it meets rather than at every step.
class LossWeights {
 public:
  explicit LossWeights(std::vector<double> values) : values_(std::move(values)) {}
  bool empty() const { return values_.empty(); }
  std::size_t size() const { return values_.size(); }
  Tensor like(const Tensor& prediction) {
    if (values_.empty()) return Tensor();
    if (!tensor_.defined() || &tensor_.backend() != &prediction.backend() || tensor_.dtype() != prediction.dtype()) {
      tensor_ = prediction.backend().empty(Shape{static_cast<std::int64_t>(values_.size())}, prediction.dtype());
      from_host(tensor_, values_);
    }
    return tensor_;
  }

 private:
  std::vector<double> values_;
  Tensor tensor_;
};

// class_weights: empty, or one weight per class (op::ClassLoss says how they weigh the rows).
class ClassIndexLoss final : public Loss {
 public:
  ClassIndexLoss(std::string name, ClassLossFn fn, double margin = 1.0, bool mean_over_classes = true, double label_smoothing = 0.0,
                 std::vector<double> class_weights = {})
      : name_(std::move(name)), fn_(fn), margin_(margin), mean_over_classes_(mean_over_classes), label_smoothing_(label_smoothing),
        class_weights_(std::move(class_weights)) {}
  std::string type() const override { return name_; }
  TargetKind target_kind() const override { return TargetKind::ClassIndex; }
  OutputLink output_link() const override {
    if (fn_ == ClassLossFn::SoftmaxCrossEntropy) return OutputLink::Softmax;
    return fn_ == ClassLossFn::Hinge || fn_ == ClassLossFn::SquaredHinge ? OutputLink::Scores : OutputLink::Identity;
  }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    // As PyTorch and Keras: labels index the outputs, so data that lacks the last classes (a subset) still fits.
    if (prediction.rank() != 1 || num_classes > prediction[0])
      throw ShapeError(fmt::format("{}: the model outputs {} per sample but the data has {} classes; the last layer needs {} units",
                                   name_, prediction.str(), num_classes, num_classes));
    if (!class_weights_.empty() && static_cast<std::int64_t>(class_weights_.size()) != prediction[0])
      throw ShapeError(fmt::format("{}: class_weights has {} weights but the model outputs {} scores per sample, one per class", name_,
                                   class_weights_.size(), prediction[0]));
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    prediction.backend().run(op::ClassLoss{prediction, target, loss, dprediction, fn_, margin_, mean_over_classes_, label_smoothing_,
                                           class_weights_.like(prediction)});
  }

 private:
  std::string name_;
  ClassLossFn fn_;
  double margin_;
  bool mean_over_classes_;
  double label_smoothing_;
  LossWeights class_weights_;
};

// "class_weights": one non-negative weight per class, as PyTorch's weight= and Keras's class_weight (none: all 1).
inline std::vector<double> class_weights(const Params& p) { return p.numbers("class_weights", {}, 0, 0.0); }

// The hinge losses' "class_reduction": "mean" (PyTorch, divides by the number of classes) or "sum" (Weston-Watkins).
inline bool mean_over_classes(const Params& p) {
  const std::string reduction = p.string("class_reduction", "mean");
  if (reduction != "mean" && reduction != "sum")
    p.fail("class_reduction", fmt::format("must be \"mean\" or \"sum\", got \"{}\"", reduction));
  return reduction == "mean";
}

// Targets are values shaped like the prediction: one-hot rows for class labels, or the label itself (0 or 1)
// when the model has a single output and the data two classes. pos_weight: empty, or one weight per output for the
// logistic loss's positive term (op::ElementwiseLoss).
class ValueLoss final : public Loss {
 public:
  ValueLoss(std::string name, ElementwiseLossFn fn, double param = 1.0, std::vector<double> pos_weight = {})
      : name_(std::move(name)), fn_(fn), param_(param), pos_weight_(std::move(pos_weight)) {}
  std::string type() const override { return name_; }
  TargetKind target_kind() const override { return TargetKind::Values; }
  OutputLink output_link() const override {
    if (fn_ == ElementwiseLossFn::BceWithLogits) return OutputLink::Sigmoid;
    return fn_ == ElementwiseLossFn::Perceptron || fn_ == ElementwiseLossFn::Hinge ? OutputLink::Sign : OutputLink::Identity;
  }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    const bool binary = prediction.numel() == 1 && num_classes <= 2;
    if (!binary && num_classes > prediction.numel())
      throw ShapeError(fmt::format("{}: the model outputs {} per sample but the data has {} classes; the last layer needs {} units "
                                   "(or 1 unit for two classes)", name_, prediction.str(), num_classes, num_classes));
    if (!pos_weight_.empty() && static_cast<std::int64_t>(pos_weight_.size()) != prediction.numel())
      throw ShapeError(fmt::format("{}: pos_weight has {} weights but the model outputs {} values per sample, one weight per output",
                                   name_, pos_weight_.size(), prediction.numel()));
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    prediction.backend().run(op::ElementwiseLoss{prediction, target, loss, dprediction, fn_, param_, pos_weight_.like(prediction)});
  }

 private:
  std::string name_;
  ElementwiseLossFn fn_;
  double param_;
  LossWeights pos_weight_;
};

// "pos_weight": one non-negative weight per output for the positive term of a logistic loss, as PyTorch's
// BCEWithLogitsLoss pos_weight (none: all 1). Above 1 raises recall, below 1 precision.
inline std::vector<double> pos_weight(const Params& p) { return p.numbers("pos_weight", {}, 0, 0.0); }

}  // namespace nnplug
