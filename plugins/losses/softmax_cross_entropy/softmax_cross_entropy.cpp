// Loss 'softmax_cross_entropy' (PyTorch CrossEntropyLoss): fused softmax and negative log-likelihood on
// logits, computed with the log-sum-exp trick, mean over the batch. label_smoothing ε in [0, 1] (default 0) moves ε
// of the target's weight from the label to all C classes evenly, as PyTorch's (and Keras's CategoricalCrossentropy's)
// label_smoothing does. class_weights weigh each class's term (see op::ClassLoss).
//
// "targets": "classes" (the default) takes class indices. "probabilities" takes a distribution over the classes per
// sample, as PyTorch's CrossEntropyLoss given class probabilities and Keras's CategoricalCrossentropy(from_logits=True)
// take them: soft labels (mixup, knowledge distillation, annotators' votes). With t' = (1 - ε) t + ε / C,
//   L = -1/N sum_n sum_c w_c t'_nc log softmax(z_n)_c,   dL/dz_nc = (softmax(z_n)_c sum_k w_k t'_nk - w_c t'_nc) / N,
// through this plugin's op soft_target_cross_entropy (a CPU kernel, a CUDA kernel where nvcc was found, soft_target.cu,
// and a host reference, which the other backends run).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../shared/sample_loss_op.hpp"
#include "soft_target_row.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "soft_target_cuda.hpp"
#endif

namespace {

using namespace nnplug;

// logits and targets (n, c); weights (c); writes the mean loss and its gradient.
template <typename T>
void soft_target_cross_entropy(const T* z, const T* t, const T* w, T* loss, T* dz, std::int64_t n, std::int64_t c, double smoothing) {
  double total = 0.0;
  for (std::int64_t i = 0; i < n; ++i) total += losses::soft_target_row(z + i * c, t + i * c, w, dz + i * c, n, c, smoothing);
  loss[0] = static_cast<T>(total / static_cast<double>(n));
}

// logits and targets (N, C), weights (C) -> loss (1), dlogits (N, C).
std::vector<Shape> soft_target_shapes(const std::vector<Shape>& in, const OpAttributes&) {
  if (in[0].rank() != 2 || in[1] != in[0] || in[2] != Shape{in[0][1]})
    throw ShapeError(fmt::format("soft_target_cross_entropy takes logits (N, C), targets of their shape and C class weights, got logits {}, "
                                 "targets {}, weights {}", in[0].str(), in[1].str(), in[2].str()));
  return {Shape{1}, in[0]};
}

OpSchema soft_target_schema() {
  OpSchema s;
  s.name = "soft_target_cross_entropy";
  s.inputs = {"logits", "targets", "class_weights"};
  s.outputs = {"loss", "dlogits"};
  s.attributes = {{"label_smoothing", 0.0}};
  s.shape_rule = soft_target_shapes;
  s.check_shapes = {Shape{4, 6}, Shape{4, 6}, Shape{6}};
  // Targets as probabilities and weights as weights: the absolute values of the random normals, each row of
  // targets divided by its sum.
  s.check_values = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) {
    losses::as_distributions(inputs[1]);
    for (double& v : inputs[2].values) v = std::abs(v);
  };
  s.host_reference = [](HostOpCall& call) {
    const Shape& z = call.inputs[0].shape;
    soft_target_cross_entropy(call.inputs[0].values.data(), call.inputs[1].values.data(), call.inputs[2].values.data(),
                              call.outputs[0].values.data(), call.outputs[1].values.data(), z[0], z[1], call.number("label_smoothing"));
  };
  return s;
}

void soft_target_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& z = call.inputs[0];
    soft_target_cross_entropy(z.data<T>(), call.inputs[1].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(),
                              call.outputs[1].data<T>(), z.dim(0), z.dim(1), call.number("label_smoothing"));
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
void soft_target_on_cuda(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor& z = call.inputs[0];
    cuda_kernels::soft_target_cross_entropy(z.data<T>(), call.inputs[1].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(),
                                            call.outputs[1].data<T>(), z.dim(0), z.dim(1), call.number("label_smoothing"), call.stream);
  });
}
#endif

class ProbabilityTargetLoss final : public Loss {
 public:
  ProbabilityTargetLoss(OpHandle op, double label_smoothing, std::vector<double> class_weights)
      : op_(std::move(op)), label_smoothing_(label_smoothing), class_weights_(std::move(class_weights)) {}
  std::string type() const override { return "softmax_cross_entropy"; }
  TargetKind target_kind() const override { return TargetKind::Values; }
  OutputLink output_link() const override { return OutputLink::Softmax; }
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    if (prediction.rank() != 1 || num_classes > prediction[0])
      throw ShapeError(fmt::format("softmax_cross_entropy: the model outputs {} per sample but the data has {} classes; the last layer needs {} "
                                   "units", prediction.str(), num_classes, num_classes));
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    const std::int64_t n = prediction.dim(0), c = prediction.numel() / std::max<std::int64_t>(n, 1);
    if (!class_weights_.empty() && static_cast<std::int64_t>(class_weights_.size()) != c)
      throw ShapeError(fmt::format("softmax_cross_entropy: class_weights has {} weights but the model outputs {} scores per sample, one per class",
                                   class_weights_.size(), c));
    if (weights_.size() != static_cast<std::size_t>(c))
      weights_ = LossWeights(class_weights_.empty() ? std::vector<double>(static_cast<std::size_t>(c), 1.0) : class_weights_);
    Tensor gradient = dprediction;
    if (!gradient.defined()) gradient = ensure(scratch_, prediction.backend(), prediction.shape(), prediction.dtype());
    const Shape rows{n, c};
    op_.on(prediction)({prediction.reshape(rows), target.reshape(rows), weights_.like(prediction)}, {loss, gradient.reshape(rows)},
                       {{"label_smoothing", label_smoothing_}});
  }

 private:
  OpHandle op_;
  double label_smoothing_;
  std::vector<double> class_weights_;
  LossWeights weights_{{}};
  Tensor scratch_;  // the gradient nobody asked for (evaluation)
};

}  // namespace

NNPLUG_PLUGIN("softmax_cross_entropy", "0.1.0", "op:soft_target_cross_entropy loss:softmax_cross_entropy", 0) {
  auto op = registrar.add_op(soft_target_schema());
  registrar.add_kernel({"soft_target_cross_entropy", "cpu"}, soft_target_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"soft_target_cross_entropy", "cuda"}, soft_target_on_cuda);
#endif
  registrar.add_loss("softmax_cross_entropy", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double label_smoothing = p.number("label_smoothing", 0.0, 0.0, 1.0);
    std::vector<double> weights = class_weights(p);
    const std::string targets = p.string("targets", "classes");
    if (targets != "classes" && targets != "probabilities")
      p.fail("targets", fmt::format("must be \"classes\" (class indices) or \"probabilities\" (a distribution over the classes per sample), "
                                    "got \"{}\"", targets));
    p.check_unused();
    if (targets == "probabilities") return std::make_unique<ProbabilityTargetLoss>(op, label_smoothing, std::move(weights));
    return std::make_unique<ClassIndexLoss>("softmax_cross_entropy", ClassLossFn::SoftmaxCrossEntropy, 1.0, true, label_smoothing, std::move(weights));
  });
}
