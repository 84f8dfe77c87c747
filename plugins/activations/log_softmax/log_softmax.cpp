// Activation 'log_softmax' (PyTorch's LogSoftmax over the last axis, Keras's log_softmax): x - log(sum(exp(x))) over
// each sample's last axis, the logarithm of the softmax without forming it, so that it never underflows to log(0).
// With the loss nll it is PyTorch's classic classifier head (its MNIST example's log_softmax and nll_loss), whose
// pair is softmax_cross_entropy on logits. This plugin's ops log_softmax and log_softmax_grad compute it, a row at a
// time, from log_softmax_rows.hpp on the CPU and the GPU alike.
#include "../../shared/parallel_chunks.hpp"
#include "log_softmax_rows.hpp"
#include "nnplug/op_activation.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "log_softmax_cuda.hpp"
#endif

namespace {

using namespace nnplug;

// The rows of a tensor: its last axis's values, as many rows as the rest holds.
struct Rows {
  std::int64_t count, length;
  explicit Rows(const Shape& s) : length(s.rank() ? s[s.rank() - 1] : 1) { count = length ? s.numel() / length : 0; }
};

// Rows go to the backend's threads (OpenMP), each computed as on one thread.
template <typename T>
void forward_rows(const T* x, T* y, const Rows& r) {
#pragma omp parallel for schedule(static) if (r.count * r.length > kParallelElements)
  for (std::int64_t i = 0; i < r.count; ++i) activations::log_softmax_row(x + i * r.length, y + i * r.length, r.length);
}
template <typename T>
void backward_rows(const T* y, const T* dy, T* dx, const Rows& r) {
#pragma omp parallel for schedule(static) if (r.count * r.length > kParallelElements)
  for (std::int64_t i = 0; i < r.count; ++i) activations::log_softmax_grad_row(y + i * r.length, dy + i * r.length, dx + i * r.length, r.length);
}

}  // namespace

NNPLUG_PLUGIN("log_softmax", "0.1.0", "op:log_softmax op:log_softmax_grad activation:log_softmax", 0) {
  auto [forward, gradient] = activation_op_schemas("log_softmax");
  forward.host_reference = [](HostOpCall& call) {
    forward_rows(call.inputs[0].values.data(), call.outputs[0].values.data(), Rows(call.inputs[0].shape));
  };
  gradient.host_reference = [](HostOpCall& call) {
    backward_rows(call.inputs[1].values.data(), call.inputs[2].values.data(), call.outputs[0].values.data(), Rows(call.inputs[0].shape));
  };
  auto op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"log_softmax", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      forward_rows(call.inputs[0].data<T>(), call.outputs[0].data<T>(), Rows(call.inputs[0].shape()));
    });
  });
  registrar.add_kernel({"log_softmax_grad", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      backward_rows(call.inputs[1].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(), Rows(call.inputs[0].shape()));
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"log_softmax", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Rows r(call.inputs[0].shape());
      activations::log_softmax_cuda(call.inputs[0].data<T>(), call.outputs[0].data<T>(), r.count, r.length, call.stream);
    });
  });
  registrar.add_kernel({"log_softmax_grad", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Rows r(call.inputs[0].shape());
      activations::log_softmax_grad_cuda(call.inputs[1].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>(), r.count, r.length,
                                         call.stream);
    });
  });
#endif
  registrar.add_activation("log_softmax", [op](const Params& p) -> std::unique_ptr<Activation> {
    p.check_unused();
    return std::make_unique<OpActivation>("log_softmax", op);
  });
}
