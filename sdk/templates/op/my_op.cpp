// Template op 'my_op': y = scale * tanh(x), with
//   - its schema: inputs, outputs, an attribute with its default, the gradient op's name;
//   - a cpu kernel, the fast path on the CPU backend (whichever CPU variant loads);
//   - a composite reference made of built-in ops: it runs on every backend without a kernel of its own, and
//     `nnplug plugin-check` compares every kernel with it;
//   - its gradient op 'my_op_grad' (x, y, dy) -> (dx) = scale (1 - tanh(x)^2) dy, with a cpu kernel and a composite;
//   - activation 'my_op': an OpActivation (op_activation.hpp), which binds the op when the model is built and runs it
//     forward and its gradient backward. A layer or optimizer of your own does the same with an OpHandle
//     (custom_op.hpp): bind it in Layer::build or Optimizer::attach, run it in forward, backward or step.
#include <cmath>

#include "nnplug/op_activation.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

// my_op(x) -> (y) and my_op_grad(x, y, dy) -> (dx), both with attribute "scale"; the first names the second as its
// gradient. Each gets a composite reference.
std::pair<OpSchema, OpSchema> schemas() {
  auto [forward, gradient] = activation_op_schemas("my_op", {{"scale", 1.0}});
  forward.composite = [](const OpCall& call) {
    call.backend.run(op::Activation{call.inputs[0], call.outputs[0], Pointwise::Tanh});
    call.backend.run(op::Axpby{call.outputs[0], call.outputs[0], call.number("scale"), 0.0});
  };
  gradient.composite = [](const OpCall& call) {
    const Tensor &x = call.inputs[0], &dy = call.inputs[2], &dx = call.outputs[0];
    Tensor t = call.backend.empty(x.shape(), x.dtype());
    call.backend.run(op::Activation{x, t, Pointwise::Tanh});  // tanh's gradient reads tanh(x)
    call.backend.run(op::ActivationGrad{x, t, dy, dx, Pointwise::Tanh});
    call.backend.run(op::Axpby{dx, dx, call.number("scale"), 0.0});
  };
  return {std::move(forward), std::move(gradient)};
}

void my_op_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = call.inputs[0].data<T>();
    T* y = call.outputs[0].data<T>();
    const T scale = static_cast<T>(call.number("scale"));
    for (std::int64_t i = 0, n = call.inputs[0].numel(); i < n; ++i) y[i] = scale * std::tanh(x[i]);
  });
}

void my_op_grad_on_cpu(const OpCall& call) {
  with_float_type(call.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *x = call.inputs[0].data<T>(), *dy = call.inputs[2].data<T>();
    T* dx = call.outputs[0].data<T>();
    const T scale = static_cast<T>(call.number("scale"));
    for (std::int64_t i = 0, n = call.inputs[0].numel(); i < n; ++i) {
      const T t = std::tanh(x[i]);
      dx[i] = scale * (1 - t * t) * dy[i];
    }
  });
}

}  // namespace

NNPLUG_PLUGIN("my_op", "0.1.0", "op:my_op op:my_op_grad activation:my_op", 0) {
  auto [forward, gradient] = schemas();
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"my_op", "cpu"}, my_op_on_cpu);
  registrar.add_kernel({"my_op_grad", "cpu"}, my_op_grad_on_cpu);
  registrar.add_activation("my_op", [op](const Params& p) {
    const double scale = p.number("scale", 1.0);
    p.check_unused();
    return std::make_unique<OpActivation>("my_op", op, OpActivation::Values{{"scale", scale}});
  });
}
