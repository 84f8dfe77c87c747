// Activation 'hardswish' (torch.nn.Hardswish, Howard et al. 2019, MobileNetV3): y = x relu6(x + 3) / 6, written as
// ops of this plugin's own, to show an op with every kind of kernel:
//   op hardswish(x) -> (y): a cpu kernel, a cuda kernel (where nvcc was found), and a composite reference made of
//     built-in ops (fill, axpby, clamp, multiply), which runs on any backend and is what plugin-check compares with;
//   op hardswish_grad(x, y, dy) -> (dx), its gradient, PyTorch's: 0 below -3, dy (x / 3 + 1/2) up to 3, dy above:
//     a cpu kernel, a cuda kernel and a host reference.
#include <cmath>

#include "nnplug/op_activation.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "cuda_kernels.hpp"
#endif

namespace {

using namespace nnplug;

template <typename T>
T hardswish(T x) {
  return x <= T(-3) ? T(0) : x >= T(3) ? x : x * (x + T(3)) / T(6);
}
template <typename T>
T hardswish_slope(T x) {
  return x < T(-3) ? T(0) : x <= T(3) ? x / T(3) + T(0.5) : T(1);
}

std::pair<OpSchema, OpSchema> schemas() {
  auto [forward, gradient] = activation_op_schemas("hardswish");
  forward.composite = [](const OpCall& call) {
    const Tensor &x = call.inputs[0], &y = call.outputs[0];
    Tensor t = call.backend.empty(x.shape(), x.dtype());
    call.backend.run(op::Fill{t, 3.0});
    call.backend.run(op::Axpby{x, t, 1.0, 1.0});  // t = x + 3
    call.backend.run(op::Clamp{t, 0.0, 6.0});      // t = relu6(x + 3)
    call.backend.run(op::Multiply{x, t, y});
    call.backend.run(op::Axpby{y, y, 1.0 / 6.0, 0.0});
  };
  gradient.host_reference = [](HostOpCall& call) {
    const auto &x = call.inputs[0].values, &dy = call.inputs[2].values;
    for (std::size_t i = 0; i < x.size(); ++i) call.outputs[0].values[i] = dy[i] * hardswish_slope(x[i]);
  };
  return {std::move(forward), std::move(gradient)};
}

void forward_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = call.inputs[0].data<T>();
    T* y = call.outputs[0].data<T>();
    for (std::int64_t i = 0, n = call.inputs[0].numel(); i < n; ++i) y[i] = hardswish(x[i]);
  });
}

void gradient_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *x = call.inputs[0].data<T>(), *dy = call.inputs[2].data<T>();
    T* dx = call.outputs[0].data<T>();
    for (std::int64_t i = 0, n = call.inputs[0].numel(); i < n; ++i) dx[i] = dy[i] * hardswish_slope(x[i]);
  });
}

}  // namespace

NNPLUG_PLUGIN("hardswish", "1.0.0", "op:hardswish op:hardswish_grad activation:hardswish", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"hardswish", "cpu"}, forward_on_cpu);
  registrar.add_kernel({"hardswish_grad", "cpu"}, gradient_on_cpu);
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"hardswish", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      custom_ops::hardswish_cuda(call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel(), call.stream);
    });
  });
  registrar.add_kernel({"hardswish_grad", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      custom_ops::hardswish_grad_cuda(call.inputs[0].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(),
                                      call.inputs[0].numel(), call.stream);
    });
  });
#endif
  registrar.add_activation("hardswish", [op](const Params& p) {
    p.check_unused();
    return std::make_unique<OpActivation>("hardswish", op);
  });
}
