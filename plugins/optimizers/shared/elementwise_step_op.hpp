#pragma once
// An optimizer whose update no built-in op computes (a maximum, a division by a moment) brings it as one fused op of
// its own plugin (custom_op.hpp): op(grad) -> (param, slot_a, slot_b), each output updated in place, element by
// element, by Step; slot_b holds a magnitude (a second moment, an infinity norm), never negative. Step is a struct
// made from the op's attributes with
//   template <typename T> void operator()(double grad, T& param, T& slot_a, T& slot_b) const;
// The cpu kernel and the host reference (which every other backend runs, through download and upload) are that
// one function; plugin-check still compares them.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/custom_op.hpp"
#include "nnplug/registrar.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace nnplug::optimizers {

// The step over four distinct arrays: restrict lets the compiler vectorize the loop (an optimizer's step is bound by
// memory, and a scalar loop took 30 times Adam's time on the demo MLP).
template <typename Step, typename T>
void step_distinct(const Step& step, const T* __restrict grad, T* __restrict param, T* __restrict a, T* __restrict b, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) step(static_cast<double>(grad[i]), param[i], a[i], b[i]);
}

template <typename Step>
OpHandle add_elementwise_step_op(Registrar& registrar, const std::string& name, const std::string& slot_a, const std::string& slot_b,
                                 std::vector<OpAttribute> attributes) {
  OpSchema s;
  s.name = name;
  s.inputs = {"grad"};
  s.outputs = {"param", slot_a, slot_b};
  s.attributes = std::move(attributes);
  s.updates_outputs = true;
  s.check_values = [](std::vector<HostTensor>&, std::vector<HostTensor>& outputs) {
    for (double& v : outputs[2].values) v = std::abs(v);
  };
  s.host_reference = [](HostOpCall& call) {
    const Step step(call);
    const auto& grad = call.inputs[0].values;
    auto &param = call.outputs[0].values, &a = call.outputs[1].values, &b = call.outputs[2].values;
    for (std::size_t i = 0; i < grad.size(); ++i) step(grad[i], param[i], a[i], b[i]);
  };
  OpHandle op = registrar.add_op(std::move(s));
  registrar.add_kernel({name, "cpu"}, [](const OpCall& call) {
    const Step step(call);
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* grad = call.inputs[0].data<T>();
      T *param = call.outputs[0].data<T>(), *a = call.outputs[1].data<T>(), *b = call.outputs[2].data<T>();
      const std::int64_t n = call.inputs[0].numel();
      const auto overlap = [n](const T* x, const T* y) {
        const auto u = reinterpret_cast<std::uintptr_t>(x), v = reinterpret_cast<std::uintptr_t>(y), bytes = n * sizeof(T);
        return u < v + bytes && v < u + bytes;
      };
      if (overlap(grad, param) || overlap(grad, a) || overlap(grad, b) || overlap(param, a) || overlap(param, b) || overlap(a, b))
        for (std::int64_t i = 0; i < n; ++i) step(static_cast<double>(grad[i]), param[i], a[i], b[i]);  // views of one buffer
      else
        step_distinct(step, grad, param, a, b, n);
    });
  });
  return op;
}

// What an Adam-family optimizer on such an op holds, with PyTorch's defaults for NAdam and Adamax: its op, lr (2e-3),
// betas ([0.9, 0.999]; beta1 is the momentum a schedule may cycle), eps (1e-8) and weight_decay (0, L2). A subclass
// reads its own parameters, then calls p.check_unused().
class AdamFamilyOnOp : public StatefulOptimizer {
 public:
  AdamFamilyOnOp(std::string name, OpHandle op, const Params& p, std::vector<std::string> slots)
      : StatefulOptimizer(std::move(name), p.number("lr", 2e-3, 0.0), std::move(slots)),
        op_(std::move(op)),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {}
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }
  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizer::attach(parameters);
    if (!parameters.empty()) op_.on(parameters.front()->value);  // refuses a backend without a kernel now
  }

 protected:
  OpHandle op_;
  std::vector<double> betas_;
  double eps_, weight_decay_;
};

}  // namespace nnplug::optimizers
