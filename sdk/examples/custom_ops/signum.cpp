// Optimizer 'signum': signSGD with momentum (Bernstein et al., "signSGD: Compressed Optimisation for Non-Convex
// Problems", ICML 2018, Algorithm 3). Each step, per parameter:
//   g = grad + weight_decay * param;   m = beta m + (1 - beta) g;   param -= lr sign(m)     (sign(0) = 0)
// The update is one fused op of this plugin, signum_step(grad) -> (param, momentum), which updates its outputs in
// place: a cpu kernel, a cuda kernel (where nvcc was found) and a host reference. No built-in op computes a sign,
// so it has no composite; a backend without a kernel runs the host reference, through download and upload.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "cuda_kernels.hpp"
#endif

namespace {

using namespace nnplug;

template <typename T>
void signum_update(const T& grad, T& param, T& momentum, double lr, double beta, double weight_decay) {
  const double g = static_cast<double>(grad) + weight_decay * static_cast<double>(param);
  const double m = beta * static_cast<double>(momentum) + (1 - beta) * g;
  momentum = static_cast<T>(m);
  param = static_cast<T>(static_cast<double>(param) - lr * (m > 0 ? 1.0 : m < 0 ? -1.0 : 0.0));
}

OpSchema step_schema() {
  OpSchema s;
  s.name = "signum_step";
  s.inputs = {"grad"};
  s.outputs = {"param", "momentum"};
  s.attributes = {{"lr", 0.01}, {"momentum", 0.9}, {"weight_decay", 0.0}};
  s.updates_outputs = true;
  s.host_reference = [](HostOpCall& call) {
    const auto& grad = call.inputs[0].values;
    auto &param = call.outputs[0].values, &momentum = call.outputs[1].values;
    for (std::size_t i = 0; i < grad.size(); ++i)
      signum_update(grad[i], param[i], momentum[i], call.number("lr"), call.number("momentum"), call.number("weight_decay"));
  };
  return s;
}

void step_on_cpu(const OpCall& call) {
  const double lr = call.number("lr"), beta = call.number("momentum"), weight_decay = call.number("weight_decay");
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* grad = call.inputs[0].data<T>();
    T *param = call.outputs[0].data<T>(), *momentum = call.outputs[1].data<T>();
    for (std::int64_t i = 0, n = call.inputs[0].numel(); i < n; ++i) signum_update(grad[i], param[i], momentum[i], lr, beta, weight_decay);
  });
}

class Signum final : public StatefulOptimizer {
 public:
  Signum(OpHandle op, double lr, double momentum, double weight_decay)
      : StatefulOptimizer("signum", lr, {"momentum_buffer"}), op_(std::move(op)), momentum_(momentum), weight_decay_(weight_decay) {}

  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizer::attach(parameters);
    if (!parameters.empty()) op_.on(parameters.front()->value);  // refuses a backend without a kernel now
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    op_.on(p.value)({p.grad}, {p.value, slot(0, i)}, {{"lr", lr_}, {"momentum", momentum_}, {"weight_decay", weight_decay_}});
  }

 private:
  OpHandle op_;
  double momentum_, weight_decay_;
};

}  // namespace

NNPLUG_PLUGIN("signum", "1.0.0", "op:signum_step optimizer:signum", 0) {
  auto op = registrar.add_op(step_schema());
  registrar.add_kernel({"signum_step", "cpu"}, step_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"signum_step", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      custom_ops::signum_step_cuda(call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.outputs[1].data<T>(),
                                   call.inputs[0].numel(), call.number("lr"), call.number("momentum"), call.number("weight_decay"),
                                   call.stream);
    });
  });
#endif
  registrar.add_optimizer("signum", [op](const Params& p) {
    const double lr = p.number("lr", 1e-3, 0.0), momentum = p.number("momentum", 0.9, 0.0, 1.0),
                 weight_decay = p.number("weight_decay", 0.0, 0.0);
    p.check_unused();
    return std::make_unique<Signum>(op, lr, momentum, weight_decay);
  });
}
