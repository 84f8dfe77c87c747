// Optimizer 'lamb' (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes", ICLR 2020,
// Algorithm 2; Keras's Lamb, timm's Lamb): lr 1e-3, betas [0.9, 0.999], eps 1e-6, weight_decay 0. Adam's direction,
// scaled for each parameter tensor by the trust ratio ||param|| / ||direction||, so that every layer moves by the same
// share of its weights whatever its gradients' scale: what lets data-parallel training grow its global batch (the
// paper trains BERT at batch 32k, after a warm-up) with less tuning than Adam then needs. Step t:
//   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g²
//   r = m / (1 - beta1^t) / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay param
//   param -= lr ||param|| / ||r|| r        (the ratio 1 where either norm is 0)
// The weight decay is the paper's, inside r and so inside the ratio (timm's and apex's FusedLAMB too; Keras adds its
// own outside). The ratio is always taken, as Keras and the paper take it (timm skips it without weight decay unless
// always_adapt); timm's default clipping of the global gradient norm to 1 is the clip_norm transform here.
// "trust_ratio": false takes the ratio as 1, TensorFlow's exclude_from_layer_adaptation: in a parameter group of the
// biases and norms (BERT's recipe, {"params": ["*.bias", "*norm*"], "trust_ratio": false, "weight_decay": 0}), whose
// norms start at 0 or 1 and would otherwise barely move.
// Two ops of this plugin per parameter (lamb_step.hpp): lamb_direction writes r into a scratch tensor, the backend's
// sum_squares op takes both norms, and lamb_trust_step moves the parameter; the norms never leave the backend.
#include <algorithm>
#include <cstdint>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "../shared/elementwise_step_op.hpp"
#include "../shared/sums_of_squares.hpp"
#include "lamb_step.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "lamb_step_cuda.hpp"
#endif

namespace {

using namespace nnplug;
using optimizers::LambDirection;
using optimizers::LambTrustStep;

// Both passes on the backend's threads (parallel_chunks.hpp), at the CPU's vector width (vector_clones.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void direction_range(const LambDirection step, const T* grad, const T* param, T* exp_avg, T* exp_avg_sq, T* direction,
                                          std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i)
    step(static_cast<double>(grad[i]), static_cast<double>(param[i]), exp_avg[i], exp_avg_sq[i], direction[i]);
}
template <typename T>
void direction_elements(const LambDirection& step, const T* grad, const T* param, T* exp_avg, T* exp_avg_sq, T* direction, std::int64_t n) {
  parallel_chunks(n, [&](std::int64_t b, std::int64_t m) { direction_range(step, grad + b, param + b, exp_avg + b, exp_avg_sq + b, direction + b, m); });
}

template <typename T>
NNPLUG_VECTOR_CLONES void trust_step_range(double scale, const T* direction, T* param, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) LambTrustStep::apply(scale, static_cast<double>(direction[i]), param[i]);
}
template <typename T>
void trust_step_elements(const LambTrustStep& step, const T* direction, const T* squares, T* param, std::int64_t n) {
  const double scale = step.scale(static_cast<double>(squares[0]), static_cast<double>(squares[1]));
  parallel_chunks(n, [&](std::int64_t b, std::int64_t m) { trust_step_range(scale, direction + b, param + b, m); });
}

// grad, param -> exp_avg, exp_avg_sq (updated), direction (written), all of the parameter's shape.
OpSchema direction_schema() {
  OpSchema s;
  s.name = "lamb_direction";
  s.inputs = {"grad", "param"};
  s.outputs = {"exp_avg", "exp_avg_sq", "direction"};
  s.attributes = {{"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-6}, {"weight_decay", 0.0}, {"step", 1.0}};
  s.updates_outputs = true;
  s.shape_rule = [](const std::vector<Shape>& in, const OpAttributes&) {
    if (in[1] != in[0])
      throw ShapeError(fmt::format("lamb_direction takes a gradient and its parameter of one shape, got {} and {}", in[0].str(), in[1].str()));
    return std::vector<Shape>(3, in[0]);
  };
  s.check_values = [](std::vector<HostTensor>&, std::vector<HostTensor>& outputs) {
    for (double& v : outputs[1].values) v = std::abs(v);  // a second moment
  };
  s.host_reference = [](HostOpCall& call) {
    auto& out = call.outputs;
    direction_elements(LambDirection(call), call.inputs[0].values.data(), call.inputs[1].values.data(), out[0].values.data(),
                       out[1].values.data(), out[2].values.data(), static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  return s;
}

// direction, squares (the parameter's and the direction's sums of squares) -> param (updated).
OpSchema trust_step_schema() {
  OpSchema s = optimizers::squares_step_schema("lamb_trust_step", "direction", {"param"}, "a direction", "the parameter's, the direction's");
  s.attributes = {{"lr", 1e-3}};
  s.host_reference = [](HostOpCall& call) {
    trust_step_elements(LambTrustStep(call), call.inputs[0].values.data(), call.inputs[1].values.data(), call.outputs[0].values.data(),
                        static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  return s;
}

class Lamb final : public optimizers::StatefulOptimizerOnOp {
 public:
  Lamb(OpHandle direction, OpHandle trust_step, const Params& p)
      : StatefulOptimizerOnOp("lamb", std::move(direction), p.number("lr", 1e-3, 0.0), {"exp_avg", "exp_avg_sq"}),
        trust_step_(std::move(trust_step)),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-6, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        trust_ratio_(p.boolean("trust_ratio", true)) {
    p.check_unused();
  }
  // One scratch direction, as long as the largest parameter, serves each in turn; two sums of squares a parameter,
  // which stay 0 (a ratio of 1) without the trust ratio.
  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizerOnOp::attach(parameters);
    if (parameters.empty()) return;
    const Tensor& first = parameters.front()->value;
    trust_step_.on(first);  // refuses a backend without a kernel now
    std::int64_t largest = 0;
    for (const Parameter* p : parameters) largest = std::max(largest, p->value.numel());
    direction_ = first.backend().empty(Shape{largest}, first.dtype());
    squares_.allocate(parameters);
  }
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    const Tensor direction = direction_.rows(0, p.value.numel()).reshape(p.value.shape());
    op_.on(p.value)({p.grad, p.value}, {slot(0, i), slot(1, i), direction},
                    {{"beta1", betas_[0]}, {"beta2", betas_[1]}, {"eps", eps_}, {"weight_decay", weight_decay_},
                     {"step", static_cast<double>(step_)}});
    const Tensor squares = trust_ratio_ ? squares_.take(i, p.value, direction) : squares_.of(i);
    trust_step_.on(p.value)({direction, squares}, {p.value}, {{"lr", lr_}});
  }

 private:
  OpHandle trust_step_;
  std::vector<double> betas_;
  double eps_, weight_decay_;
  bool trust_ratio_;
  Tensor direction_;
  optimizers::SumsOfSquares squares_;
};

}  // namespace

NNPLUG_PLUGIN("lamb", "0.1.0", "op:lamb_direction op:lamb_trust_step optimizer:lamb", 0) {
  OpHandle direction = registrar.add_op(direction_schema());
  OpHandle trust_step = registrar.add_op(trust_step_schema());
  registrar.add_kernel({"lamb_direction", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const auto& out = call.outputs;
      direction_elements(LambDirection(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), out[0].data<T>(), out[1].data<T>(),
                         out[2].data<T>(), call.inputs[0].numel());
    });
  });
  registrar.add_kernel({"lamb_trust_step", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      trust_step_elements(LambTrustStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(),
                          call.inputs[0].numel());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"lamb_direction", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const auto& out = call.outputs;
      optimizers::lamb_direction_cuda(LambDirection(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), out[0].data<T>(),
                                      out[1].data<T>(), out[2].data<T>(), call.inputs[0].numel(), call.stream);
    });
  });
  registrar.add_kernel({"lamb_trust_step", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      optimizers::lamb_trust_step_cuda(LambTrustStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(),
                                       call.inputs[0].numel(), call.stream);
    });
  });
#endif
  registrar.add_optimizer("lamb", [direction, trust_step](const Params& p) { return std::make_unique<Lamb>(direction, trust_step, p); });
}
