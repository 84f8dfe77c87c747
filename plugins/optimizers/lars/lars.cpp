// Optimizer 'lars' (You, Gitman and Ginsburg, "Large Batch Training of Convolutional Networks", 2017; timm's Lars,
// NVIDIA's LARC): torch.optim.SGD on gradients scaled for each parameter tensor by a trust ratio, so that every
// layer's step is a share of its weights whatever its gradients' scale: what trained ResNet-50 at global batches of
// 32k, where plain SGD's one rate suits no layer. Parameters and defaults are timm's: lr (required, as SGD's),
// momentum 0, dampening 0, weight_decay 0, nesterov false, trust_coefficient 0.001, eps 1e-8, trust_clip false,
// always_adapt false. Each step:
//   ratio = trust_coefficient ||w|| / (||g|| + weight_decay ||w|| + eps)   (1 where either norm is 0)
//   d = (g + weight_decay w) ratio;   buf = momentum buf + (1 - dampening) d (d at the first step)
//   w -= lr (nesterov ? d + momentum buf : buf)
// The ratio is taken with weight decay or always_adapt, else the step is SGD's (timm's rule: a tensor whose weights
// are not decayed, a bias or a norm, is not adapted); trust_clip takes min(ratio / lr, 1) instead, LARC's clipping.
// The backend's sum_squares op takes both norms and this plugin's op lars_step (lars_step.hpp) steps, CPU and CUDA
// kernels, so the norms never leave the backend. The momentum buffer is kept even at momentum 0.
#include <cstdint>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "../shared/elementwise_step_op.hpp"
#include "../shared/sums_of_squares.hpp"
#include "lars_step.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "lars_step_cuda.hpp"
#endif

namespace {

using namespace nnplug;
using optimizers::LarsStep;

template <typename T>
NNPLUG_VECTOR_CLONES void step_range(const LarsStep step, double trust, const T* grad, T* param, T* momentum_buffer, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) step(static_cast<double>(grad[i]), trust, param[i], momentum_buffer[i]);
}

// The elements on the backend's threads (parallel_chunks.hpp), at the CPU's vector width (vector_clones.hpp).
template <typename T>
void step_elements(const LarsStep& step, const T* grad, const T* squares, T* param, T* momentum_buffer, std::int64_t n) {
  const double trust = step.trust_ratio(static_cast<double>(squares[0]), static_cast<double>(squares[1]));
  parallel_chunks(n, [&](std::int64_t b, std::int64_t m) { step_range(step, trust, grad + b, param + b, momentum_buffer + b, m); });
}

// grad, squares (the parameter's and the gradient's sums of squares) -> param, momentum_buffer (updated).
OpSchema step_schema() {
  OpSchema s =
      optimizers::squares_step_schema("lars_step", "grad", {"param", "momentum_buffer"}, "a gradient", "the parameter's, the gradient's");
  // The defaults are what plugin-check runs: a decayed, adapted step of a momentum buffer that exists.
  s.attributes = {{"lr", 0.1}, {"momentum", 0.9}, {"dampening", 0.0}, {"weight_decay", 1e-4}, {"trust_coefficient", 0.001},
                  {"eps", 1e-8}, {"nesterov", false}, {"trust_clip", false}, {"adapt", true}, {"first", false}};
  s.host_reference = [](HostOpCall& call) {
    step_elements(LarsStep(call), call.inputs[0].values.data(), call.inputs[1].values.data(), call.outputs[0].values.data(),
                  call.outputs[1].values.data(), static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  return s;
}

class Lars final : public optimizers::StatefulOptimizerOnOp {
 public:
  Lars(OpHandle op, const Params& p)
      : StatefulOptimizerOnOp("lars", std::move(op), p.require_number("lr", 0.0), {"momentum_buffer"}),
        momentum_(p.number("momentum", 0.0, 0.0, 1.0)),
        dampening_(p.number("dampening", 0.0, 0.0, 1.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        trust_coefficient_(p.number("trust_coefficient", 0.001, 0.0)),
        eps_(p.number("eps", 1e-8, 0.0)),
        nesterov_(p.boolean("nesterov", false)),
        trust_clip_(p.boolean("trust_clip", false)),
        adapt_(p.boolean("always_adapt", false) || weight_decay_ != 0) {
    if (nesterov_ && (momentum_ <= 0 || dampening_ != 0))
      p.fail("nesterov", fmt::format("needs a momentum and zero dampening, as torch.optim.SGD's (momentum {}, dampening {})", momentum_, dampening_));
    p.check_unused();
  }
  // Two sums of squares a parameter, which stay 0 (a ratio of 1) where the step does not adapt.
  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizerOnOp::attach(parameters);
    squares_.allocate(parameters);
  }
  bool set_momentum(double momentum) override {
    momentum_ = momentum;
    return true;
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad, adapt_ ? squares_.take(i, p.value, p.grad) : squares_.of(i)}, {p.value, slot(0, i)},
                    {{"lr", lr_},
                     {"momentum", momentum_},
                     {"dampening", dampening_},
                     {"weight_decay", weight_decay_},
                     {"trust_coefficient", trust_coefficient_},
                     {"eps", eps_},
                     {"nesterov", nesterov_},
                     {"trust_clip", trust_clip_},
                     {"adapt", adapt_},
                     {"first", step_ == 1}});
  }

 private:
  double momentum_, dampening_, weight_decay_, trust_coefficient_, eps_;
  bool nesterov_, trust_clip_, adapt_;
  optimizers::SumsOfSquares squares_;
};

}  // namespace

NNPLUG_PLUGIN("lars", "0.1.0", "op:lars_step optimizer:lars", 0) {
  OpHandle op = registrar.add_op(step_schema());
  registrar.add_kernel({"lars_step", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      step_elements(LarsStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(), call.outputs[1].data<T>(),
                    call.inputs[0].numel());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"lars_step", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      optimizers::lars_step_cuda(LarsStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(),
                                 call.outputs[1].data<T>(), call.inputs[0].numel(), call.stream);
    });
  });
#endif
  registrar.add_optimizer("lars", [op](const Params& p) { return std::make_unique<Lars>(op, p); });
}
