#pragma once
// A loss that no built-in op computes (a Poisson likelihood, a divergence, a cosine) brings it as one fused op of its
// own plugin (custom_op.hpp): op(prediction (N, C), target (N, C)) -> (loss (1), dprediction (N, C)), C the values of
// one sample, the loss the mean over the N samples of each sample's loss. SampleLoss is a struct made from the op's
// attributes with
//   template <typename T> double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const;
// which returns one sample's loss and writes weight times its gradient to dp. A loss of elements averages an element
// function over the sample (element_mean.hpp). The cpu kernel, the cuda kernel (where the loss's plugin has a .cu
// file that instantiates sample_loss_cuda.cuh for its SampleLoss, whose operator() is then NNPLUG_HOST_DEVICE) and the
// host reference (which every other backend runs, through download and upload) are that one function; plugin-check
// still compares them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "nnplug/loss.hpp"
#include "nnplug/registrar.hpp"
#include "element_mean.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "sample_loss_cuda.hpp"
#endif

namespace nnplug::losses {

template <typename SampleLoss, typename T>
void mean_sample_loss(const SampleLoss& sample_loss, const T* p, const T* t, T* loss, T* dp, std::int64_t n, std::int64_t c) {
  const double weight = 1.0 / static_cast<double>(std::max<std::int64_t>(n, 1));
  double total = 0.0;
  for (std::int64_t i = 0; i < n; ++i) total += sample_loss(p + i * c, t + i * c, dp + i * c, c, weight);
  loss[0] = static_cast<T>(total * weight);
}

// plugin-check's random normal targets as distributions: their absolute values, each row divided by its sum.
inline void as_distributions(HostTensor& targets) {
  const auto c = static_cast<std::size_t>(targets.shape[1]);
  for (std::size_t row = 0; row < targets.values.size(); row += c) {
    double sum = 0.0;
    for (std::size_t j = 0; j < c; ++j) sum += (targets.values[row + j] = std::abs(targets.values[row + j]));
    for (std::size_t j = 0; j < c; ++j) targets.values[row + j] /= sum;
  }
}

// check_values: what plugin-check's random normal inputs must become to be valid (non-negative counts, probabilities).
template <typename SampleLoss>
OpHandle add_sample_loss_op(Registrar& registrar, const std::string& name, std::vector<OpAttribute> attributes,
                            decltype(OpSchema::check_values) check_values = {}) {
  OpSchema s;
  s.name = name;
  s.inputs = {"prediction", "target"};
  s.outputs = {"loss", "dprediction"};
  s.attributes = std::move(attributes);
  s.shape_rule = [name](const std::vector<Shape>& in, const OpAttributes&) {
    if (in[0].rank() != 2 || in[1] != in[0])
      throw ShapeError(fmt::format("{} takes predictions (N, C) and targets of their shape, got predictions {} and targets {}", name,
                                   in[0].str(), in[1].str()));
    return std::vector<Shape>{Shape{1}, in[0]};
  };
  s.check_values = std::move(check_values);
  s.host_reference = [](HostOpCall& call) {
    const Shape& shape = call.inputs[0].shape;
    mean_sample_loss(SampleLoss(call), call.inputs[0].values.data(), call.inputs[1].values.data(), call.outputs[0].values.data(),
                     call.outputs[1].values.data(), shape[0], shape[1]);
  };
  OpHandle op = registrar.add_op(std::move(s));
  registrar.add_kernel({name, "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor& p = call.inputs[0];
      mean_sample_loss(SampleLoss(call), p.data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(), call.outputs[1].data<T>(),
                       p.dim(0), p.dim(1));
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({name, "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor& p = call.inputs[0];
      mean_sample_loss_cuda(SampleLoss(call), p.data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(), call.outputs[1].data<T>(),
                            p.dim(0), p.dim(1), call.stream);
    });
  });
#endif
  return op;
}

// A loss of value targets shaped like the prediction, computed by such an op with the attributes it was made with
// (their names string literals).
class SampleLossOnOp : public Loss {
 public:
  SampleLossOnOp(std::string name, OpHandle op, OutputLink link, BoundOp::NamedValues attributes)
      : name_(std::move(name)), op_(std::move(op)), link_(link), attributes_(std::move(attributes)) {}
  std::string type() const override { return name_; }
  TargetKind target_kind() const override { return TargetKind::Values; }
  OutputLink output_link() const override { return link_; }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    // A logit's sigmoid is the probability of class 1: one unit takes two classes' labels, as binary_cross_entropy.
    const bool binary = link_ == OutputLink::Sigmoid && prediction.numel() == 1 && num_classes <= 2;
    if (!binary && num_classes > prediction.numel())
      throw ShapeError(fmt::format("{}: the model outputs {} per sample but the data has {} classes; the last layer needs {} units{}", name_,
                                   prediction.str(), num_classes, num_classes, link_ == OutputLink::Sigmoid ? " (or 1 unit for two classes)" : ""));
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    const std::int64_t n = prediction.dim(0);
    const Shape rows{n, prediction.numel() / std::max<std::int64_t>(n, 1)};
    Tensor gradient = dprediction;
    if (!gradient.defined()) gradient = ensure(scratch_, prediction.backend(), prediction.shape(), prediction.dtype());
    op_.on(prediction)({prediction.reshape(rows), target.reshape(rows)}, {loss, gradient.reshape(rows)}, attributes_);
  }

 private:
  std::string name_;
  OpHandle op_;
  OutputLink link_;
  BoundOp::NamedValues attributes_;
  Tensor scratch_;  // the gradient nobody asked for (evaluation)
};

}  // namespace nnplug::losses
