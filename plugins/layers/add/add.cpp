// Layers 'add' (Keras Add; a residual connection's x + f(x) in PyTorch), 'subtract' (Keras Subtract: the first
// input minus the second) and 'average' (Keras Average), built from this one source as three plugins
// (NNPLUG_MERGE_KIND): the element-wise sum of two or more inputs of one shape, each input weighed by its
// coefficient (1; 1 and -1; 1 / count). Each input's gradient is dy times its coefficient. 'add' takes a ReLU after it
// (a residual block's last, Layer::fuse_activation), and sums two inputs in one pass through its op add_pair (a + b,
// then the ReLU where taken), where two axpby and a ReLU made five passes over the output and two over the inputs.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "../../shared/parallel_chunks.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/fused_relu.hpp"
#include "nnplug/merge_layer.hpp"
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_MERGE_KIND)
#define NNPLUG_MERGE_KIND Sum
#define NNPLUG_MERGE_NAME "add"
#define NNPLUG_MERGE_OPS "op:add_pair "
#else
#define NNPLUG_MERGE_OPS ""
#endif

namespace {

using namespace nnplug;

enum class Kind { Sum, Difference, Mean };
constexpr Kind kKind = Kind::NNPLUG_MERGE_KIND;

// The same elements as a row-major vector: add_pair is element-wise, so two tensors of one layout (a convolution's
// channel blocks too) sum element for element in memory order.
Tensor flat(const Tensor& t) { return Tensor(t.buffer(), t.dtype(), Shape{t.numel()}, t.offset()); }

class Add final : public MergeLayer {
 public:
  explicit Add(std::optional<OpHandle> add_pair) : add_pair_(std::move(add_pair)) {}

  std::string type() const override { return NNPLUG_MERGE_NAME; }

  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    require_one_shape(inputs);
    if (kKind == Kind::Difference && inputs.size() != 2)
      throw ShapeError(fmt::format("subtract takes two inputs (the first minus the second), got {}", inputs.size()));
    coefficients_.clear();
    for (std::size_t i = 0; i < inputs.size(); ++i)
      coefficients_.push_back(kKind == Kind::Mean ? 1.0 / static_cast<double>(inputs.size()) : kKind == Kind::Difference && i == 1 ? -1.0 : 1.0);
    backend_ = &ctx.backend;
    dx_.resize(inputs.size());
    copies_.resize(inputs.size());
    reordered_.resize(inputs.size());
    return inputs.front();
  }

  bool fuse_activation(const Activation& next) override { return kKind == Kind::Sum && relu_.take(next); }

  // The sum is in the first input's layout; an input in another (a shortcut's row-major image beside a
  // convolution's channel blocks) is reordered into it, and the model reorders its gradient back into its own.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    const Tensor& first = inputs[0];
    ensure(y_, *backend_, first.shape(), first.dtype(), first.layout());
    std::vector<Tensor> in(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      in[i] = inputs[i];
      if (inputs[i].layout() == first.layout()) continue;
      in[i] = ensure(reordered_[i], *backend_, first.shape(), first.dtype(), first.layout());
      backend_->run(op::Copy{inputs[i], in[i]});
    }
    if (add_pair_ && in.size() == 2) {
      add_pair_->on(y_)({flat(in[0]), flat(in[1])}, {flat(y_)}, {{"relu", relu_.epilogue() == Pointwise::Relu}});
      return y_;
    }
    backend_->run(op::Axpby{in[0], y_, coefficients_[0], 0.0});
    for (std::size_t i = 1; i < in.size(); ++i) backend_->run(op::Axpby{in[i], y_, coefficients_[i], 1.0});
    if (relu_.epilogue() == Pointwise::Relu) backend_->run(op::Activation{y_, y_, Pointwise::Relu});
    return y_;
  }

  // Each input whose coefficient is 1 takes dy itself (the model copies a gradient that two nodes share before it
  // adds to one of them in place, and reorders one into its input's layout); the others get scaled copies.
  const std::vector<Tensor>& backward_merge(const Tensor& output_grad) override {
    const Tensor& dy = relu_.gradient_before(y_, output_grad);
    for (std::size_t i = 0; i < dx_.size(); ++i) {
      if (coefficients_[i] == 1.0) {
        dx_[i] = dy;
        continue;
      }
      backend_->run(op::Axpby{dy, ensure(copies_[i], *backend_, dy.shape(), dy.dtype(), dy.layout()), coefficients_[i], 0.0});
      dx_[i] = copies_[i];
    }
    return dx_;
  }

 private:
  std::optional<OpHandle> add_pair_;  // 'add' only: its plugin defines the op
  FusedRelu relu_;
  std::vector<double> coefficients_;  // each input's
  Backend* backend_ = nullptr;
  Tensor y_;
  std::vector<Tensor> dx_, copies_, reordered_;
};

// y = a + b, or max(a + b, 0) with relu, element by element.
template <typename T>
void add_pair(const T* a, const T* b, T* y, std::int64_t n, bool relu) {
  parallel_chunks(n, [=](std::int64_t begin, std::int64_t count) {
    if (relu)
      for (std::int64_t i = begin; i < begin + count; ++i) y[i] = std::max(a[i] + b[i], T(0));
    else
      for (std::int64_t i = begin; i < begin + count; ++i) y[i] = a[i] + b[i];
  });
}

OpHandle add_pair_op(Registrar& registrar) {
  OpSchema s;
  s.name = "add_pair";
  s.inputs = {"a", "b"};
  s.outputs = {"y"};
  s.attributes = {{"relu", false}};
  s.shape_rule = [](const std::vector<Shape>& in, const OpAttributes&) {
    if (!(in[0] == in[1])) throw ShapeError(fmt::format("add_pair sums inputs of one shape, got {} and {}", in[0].str(), in[1].str()));
    return std::vector<Shape>{in[0]};
  };
  s.host_reference = [](HostOpCall& call) {
    const auto &a = call.inputs[0].values, &b = call.inputs[1].values;
    const bool relu = call.flag("relu");
    for (std::size_t i = 0; i < a.size(); ++i) call.outputs[0].values[i] = relu ? std::max(a[i] + b[i], 0.0) : a[i] + b[i];
  };
  // Elsewhere (the CUDA backend), the backend's own ops: y = a, y += b, then the ReLU in place.
  s.composite = [](const OpCall& call) {
    const Tensor &a = call.inputs[0], &b = call.inputs[1], &y = call.outputs[0];
    call.backend.run(op::Axpby{a, y, 1.0, 0.0});
    call.backend.run(op::Axpby{b, y, 1.0, 1.0});
    if (call.flag("relu")) call.backend.run(op::Activation{y, y, Pointwise::Relu});
  };
  OpHandle op = registrar.add_op(std::move(s));
  registrar.add_kernel({"add_pair", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      add_pair(call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel(), call.flag("relu"));
    });
  });
  return op;
}

}  // namespace

NNPLUG_PLUGIN(NNPLUG_MERGE_NAME, "0.1.0", NNPLUG_MERGE_OPS "layer:" NNPLUG_MERGE_NAME, 0) {
  std::optional<OpHandle> op;
  if constexpr (kKind == Kind::Sum) op = add_pair_op(registrar);
  registrar.add_layer(NNPLUG_MERGE_NAME, [op](const Params& p) {
    p.check_unused();
    return std::make_unique<Add>(op);
  });
}
