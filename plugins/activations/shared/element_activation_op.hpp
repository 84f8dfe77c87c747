#pragma once
// An activation that no built-in op computes brings it as the two ops of its own plugin an OpActivation runs
// (op_activation.hpp): NAME(x) -> (y) and NAME_grad(x, y, dy) -> (dx), element by element, from Element, a struct
// made from the ops' attributes with
//   NNPLUG_HOST_DEVICE double value(double x) const;   NNPLUG_HOST_DEVICE double slope(double x) const;
// The cpu kernels, the cuda kernels (where nvcc was found: element_activation_cuda.cuh, instantiated by the
// activation's .cu file) and the host references (which every other backend runs) are those two functions;
// plugin-check still compares them, and checks the slope against centred differences of the value.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/op_activation.hpp"
#include "nnplug/registrar.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "element_activation_cuda.hpp"
#endif

namespace nnplug::activations {

template <typename Element, typename T>
void element_values(const Element& e, const T* x, T* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(e.value(static_cast<double>(x[i])));
}
template <typename Element, typename T>
void element_gradients(const Element& e, const T* x, const T* dy, T* dx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dx[i] = static_cast<T>(static_cast<double>(dy[i]) * e.slope(static_cast<double>(x[i])));
}

// Registers both ops and their kernels; returns the forward op, for the activation's factory.
template <typename Element>
OpHandle add_element_activation_ops(Registrar& registrar, const std::string& name, std::vector<OpAttribute> attributes = {}) {
  auto [forward, gradient] = activation_op_schemas(name, std::move(attributes));
  forward.host_reference = [](HostOpCall& call) {
    element_values(Element(call), call.inputs[0].values.data(), call.outputs[0].values.data(),
                   static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  gradient.host_reference = [](HostOpCall& call) {
    element_gradients(Element(call), call.inputs[0].values.data(), call.inputs[2].values.data(), call.outputs[0].values.data(),
                      static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  const std::string gradient_name = gradient.name;
  OpHandle op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({name, "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      element_values(Element(call), call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel());
    });
  });
  registrar.add_kernel({gradient_name, "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      element_gradients(Element(call), call.inputs[0].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({name, "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      element_values_cuda(Element(call), call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel(), call.stream);
    });
  });
  registrar.add_kernel({gradient_name, "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      element_gradients_cuda(Element(call), call.inputs[0].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(),
                             call.inputs[0].numel(), call.stream);
    });
  });
#endif
  return op;
}

}  // namespace nnplug::activations
