// Template op 'my_op': y = scale * tanh(x), with
//   - its schema: inputs, outputs, an attribute with its default, the gradient op's name;
//   - a cpu kernel, the fast path on the CPU backend (whichever CPU variant loads);
//   - a composite reference made of built-in ops: it runs on every backend without a kernel of its own, and
//     `nnplug plugin-check` compares every kernel with it;
//   - its gradient op 'my_op_grad' (x, y, dy) -> (dx) = scale (1 - tanh(x)^2) dy, with a cpu kernel and a composite;
//   - activation 'my_op', which binds the op when the model is built and runs it.
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

OpSchema my_op_schema() {
  OpSchema s;
  s.name = "my_op";
  s.inputs = {"x"};
  s.outputs = {"y"};
  s.attributes = {{"scale", 1.0}};
  s.gradient = "my_op_grad";
  s.composite = [](const OpCall& call) {
    call.backend.run(op::Activation{call.inputs[0], call.outputs[0], Pointwise::Tanh});
    call.backend.run(op::Axpby{call.outputs[0], call.outputs[0], call.number("scale"), 0.0});
  };
  return s;
}

OpSchema my_op_grad_schema() {
  OpSchema s;
  s.name = "my_op_grad";
  s.inputs = {"x", "y", "dy"};
  s.outputs = {"dx"};
  s.attributes = {{"scale", 1.0}};
  s.composite = [](const OpCall& call) {
    const Tensor &x = call.inputs[0], &dy = call.inputs[2], &dx = call.outputs[0];
    Tensor t = call.backend.empty(x.shape(), x.dtype());
    call.backend.run(op::Activation{x, t, Pointwise::Tanh});  // tanh's gradient reads tanh(x)
    call.backend.run(op::ActivationGrad{x, t, dy, dx, Pointwise::Tanh});
    call.backend.run(op::Axpby{dx, dx, call.number("scale"), 0.0});
  };
  return s;
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

class MyOpActivation final : public Activation {
 public:
  MyOpActivation(OpHandle op, double scale) : op_(std::move(op)), scale_(scale) {}
  std::string type() const override { return "my_op"; }
  void prepare(Backend& backend, DType dtype) override { op_.on(backend, dtype); }
  void forward(const Tensor& x, const Tensor& y) override { op_.on(x)({x}, {y}, {{"scale", scale_}}); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& dx) override {
    op_.on(x).gradient()({x, y, dy}, {dx}, {{"scale", scale_}});
  }

 private:
  OpHandle op_;
  double scale_;
};

}  // namespace

NNPLUG_PLUGIN("my_op", "0.1.0", "op:my_op op:my_op_grad activation:my_op", 0) {
  auto op = registrar.add_op(my_op_schema());
  registrar.add_op(my_op_grad_schema());
  registrar.add_kernel({"my_op", "cpu"}, my_op_on_cpu);
  registrar.add_kernel({"my_op_grad", "cpu"}, my_op_grad_on_cpu);
  registrar.add_activation("my_op", [op](const Params& p) {
    const double scale = p.number("scale", 1.0);
    p.check_unused();
    return std::make_unique<MyOpActivation>(op, scale);
  });
}
