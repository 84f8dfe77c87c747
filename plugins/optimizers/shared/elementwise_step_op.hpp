#pragma once
// An optimizer whose update no built-in op computes (a maximum, a division by a moment, a sign) brings it as one
// fused op of its own plugin (custom_op.hpp): op(grad) -> (param, slots...), one or two slots, each output updated in
// place, element by element, by Step; of two slots the second holds a magnitude (a second moment, an infinity norm),
// never negative. Step is a struct made from the op's attributes with
//   template <typename T> void operator()(double grad, T& param, T& slot_a[, T& slot_b]) const;
// The cpu kernel (on the backend's threads: the optimizer's plugin links OpenMP::OpenMP_CXX), the cuda kernel
// (where nvcc was found: elementwise_step_cuda.cuh, instantiated by the optimizer's .cu file) and the host reference
// (which every other backend runs, through download and upload) are that one function; plugin-check still compares
// them.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/registrar.hpp"
#include "nnplug/stateful_optimizer.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "elementwise_step_cuda.hpp"
#endif

namespace nnplug::optimizers {

// The step over distinct arrays: restrict lets the compiler vectorize the loop (an optimizer's step is bound by
// memory, and a scalar loop took 30 times Adam's time on the demo MLP), and the clones run it at the CPU's width.
template <typename Step, typename T>
NNPLUG_VECTOR_CLONES void step_distinct(const Step step, const T* __restrict grad, T* __restrict param, T* __restrict a, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) step(static_cast<double>(grad[i]), param[i], a[i]);
}
template <typename Step, typename T>
NNPLUG_VECTOR_CLONES void step_distinct(const Step step, const T* __restrict grad, T* __restrict param, T* __restrict a, T* __restrict b,
                                        std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) step(static_cast<double>(grad[i]), param[i], a[i], b[i]);
}

template <typename Step, std::size_t Slots>
OpHandle add_elementwise_step_op(Registrar& registrar, const std::string& name, const std::array<std::string, Slots>& slots,
                                 std::vector<OpAttribute> attributes) {
  static_assert(Slots == 1 || Slots == 2, "an elementwise step op has one or two slots");
  OpSchema s;
  s.name = name;
  s.inputs = {"grad"};
  s.outputs = {"param"};
  s.outputs.insert(s.outputs.end(), slots.begin(), slots.end());
  s.attributes = std::move(attributes);
  s.updates_outputs = true;
  if constexpr (Slots == 2)
    s.check_values = [](std::vector<HostTensor>&, std::vector<HostTensor>& outputs) {
      for (double& v : outputs[2].values) v = std::abs(v);
    };
  s.host_reference = [](HostOpCall& call) {
    const Step step(call);
    const auto& grad = call.inputs[0].values;
    auto &param = call.outputs[0].values, &a = call.outputs[1].values;
    for (std::size_t i = 0; i < grad.size(); ++i)
      if constexpr (Slots == 2) step(grad[i], param[i], a[i], call.outputs[2].values[i]);
      else step(grad[i], param[i], a[i]);
  };
  OpHandle op = registrar.add_op(std::move(s));
  registrar.add_kernel({name, "cpu"}, [](const OpCall& call) {
    const Step step(call);
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const std::int64_t n = call.inputs[0].numel();
      const T* grad = call.inputs[0].data<T>();
      std::array<T*, Slots + 1> out;  // param, then the slots
      for (std::size_t k = 0; k <= Slots; ++k) out[k] = call.outputs[k].data<T>();
      const auto overlap = [n](const T* x, const T* y) {
        const auto u = reinterpret_cast<std::uintptr_t>(x), v = reinterpret_cast<std::uintptr_t>(y), bytes = n * sizeof(T);
        return u < v + bytes && v < u + bytes;
      };
      bool distinct = true;
      for (std::size_t k = 0; k <= Slots; ++k) {
        distinct = distinct && !overlap(grad, out[k]);
        for (std::size_t j = 0; j < k; ++j) distinct = distinct && !overlap(out[j], out[k]);
      }
      const auto element = [&](std::int64_t i) {  // views of one buffer
        if constexpr (Slots == 2) step(static_cast<double>(grad[i]), out[0][i], out[1][i], out[2][i]);
        else step(static_cast<double>(grad[i]), out[0][i], out[1][i]);
      };
      if (!distinct)
        for (std::int64_t i = 0; i < n; ++i) element(i);
      else
        parallel_chunks(n, [&](std::int64_t b, std::int64_t m) {
          if constexpr (Slots == 2) step_distinct(step, grad + b, out[0] + b, out[1] + b, out[2] + b, m);
          else step_distinct(step, grad + b, out[0] + b, out[1] + b, m);
        });
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({name, "cuda"}, [](const OpCall& call) {
    const Step step(call);
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      std::array<T*, Slots + 1> out;  // param, then the slots
      for (std::size_t k = 0; k <= Slots; ++k) out[k] = call.outputs[k].data<T>();
      elementwise_step_cuda<Slots>(step, call.inputs[0].data<T>(), out.data(), call.inputs[0].numel(), call.stream);
    });
  });
#endif
  return op;
}

// An optimizer stepping through such an op: it refuses, when attached, a backend on which the op has no kernel.
class StatefulOptimizerOnOp : public StatefulOptimizer {
 public:
  StatefulOptimizerOnOp(std::string name, OpHandle op, double lr, std::vector<std::string> slots)
      : StatefulOptimizer(std::move(name), lr, std::move(slots)), op_(std::move(op)) {}
  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizer::attach(parameters);
    if (!parameters.empty()) op_.on(parameters.front()->value);  // refuses a backend without a kernel now
  }

 protected:
  OpHandle op_;
};

// What an Adam-family optimizer on such an op holds, with PyTorch's defaults for NAdam and Adamax: its op, lr (2e-3),
// betas ([0.9, 0.999]; beta1 is the momentum a schedule may cycle), eps (1e-8) and weight_decay (0, L2). A subclass
// reads its own parameters, then calls p.check_unused().
class AdamFamilyOnOp : public StatefulOptimizerOnOp {
 public:
  AdamFamilyOnOp(std::string name, OpHandle op, const Params& p, std::vector<std::string> slots)
      : StatefulOptimizerOnOp(std::move(name), std::move(op), p.number("lr", 2e-3, 0.0), std::move(slots)),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {}
  bool set_momentum(double momentum) override {
    betas_[0] = momentum;
    return true;
  }

 protected:
  std::vector<double> betas_;
  double eps_, weight_decay_;
};

}  // namespace nnplug::optimizers
