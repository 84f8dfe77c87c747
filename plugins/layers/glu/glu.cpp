// Layer 'glu' (PyTorch's GLU, Dauphin et al. 2017's gated linear unit; Keras's glu activation): the input split in
// halves a and b along `dim`, a sigmoid(b): half the extent along dim, which must be even. dim -1 (the last axis, the
// default, PyTorch's) or a sample axis numbered from 1 (PyTorch's numbers, the batch being 0): 1 is a sequence's
// or an image's channels, the gated convolution's. After a dense layer of 2 d units it is the GLU feed-forward of
// Shazeer's "GLU Variants Improve Transformer".
//
// It runs through this plugin's ops glu(x) -> (y) and glu_grad(x, y, dy) -> (dx), whose "dim" counts the batch
// axis: a CPU kernel each (on the backend's threads), a CUDA kernel each (glu_halves.cu) and a host reference, from
// glu_halves.hpp alike, but for the CPU's float32 kernels (below).
#include <algorithm>
#include <type_traits>

#include <fmt/format.h>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "../../shared/vector_exp.hpp"
#include "../shared/op_layer.hpp"
#include "glu_halves.hpp"
#include "nnplug/plugin.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "glu_cuda.hpp"
#endif

namespace {

using namespace nnplug;
using layers::GluHalves;

// The tensor (batch included) seen as outer x extent x inner about the axis `dim` (>= 1).
GluHalves halves_of(const Shape& x, std::int64_t dim) {
  GluHalves h{1, x[static_cast<int>(dim)] / 2, 1};
  for (int k = 0; k < dim; ++k) h.outer *= x[k];
  for (int k = static_cast<int>(dim) + 1; k < x.rank(); ++k) h.inner *= x[k];
  return h;
}

// Float32 on the CPU runs in float, at the CPU's vector width (vector_clones.hpp, with vector_exp.hpp's exp), over runs
// of outputs whose a values lie side by side: glu_halves.hpp's element functions take libm's exp in double, a call a
// value, and find each value's a by division. 1 - sigmoid(b) is taken as e^-b sigmoid(b), which does not cancel.
NNPLUG_VECTOR_CLONES void glu_floats(const float* __restrict a, const float* __restrict b, float* __restrict y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] / (1.0f + vector_exp(-b[i]));
}

NNPLUG_VECTOR_CLONES void glu_grad_floats(const float* __restrict a, const float* __restrict b, const float* __restrict dy, float* __restrict da,
                                          float* __restrict db, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float e = vector_exp(-b[i]), s = 1.0f / (1.0f + e);
    da[i] = dy[i] * s;
    db[i] = dy[i] * a[i] * s * (e * s);
  }
}

// run(i, a, b, count) over outputs [begin, end) in runs within one outer index: outputs i to i + count read their a
// values from input a on, and their b values from input b = a + half x inner on.
template <typename Run>
void runs_of(const GluHalves& h, std::int64_t begin, std::int64_t end, Run&& run) {
  const std::int64_t length = h.half * h.inner;
  for (std::int64_t i = begin; i < end;) {
    const std::int64_t o = i / length, j = i % length, count = std::min(end - i, length - j), a = o * 2 * length + j;
    run(i, a, a + length, count);
    i += count;
  }
}

// Outputs go to the backend's threads (parallel_chunks.hpp); each writes its own y, or its own two values of dx.
template <typename T>
void outputs(const GluHalves& h, const T* x, T* y) {
  parallel_chunks(h.outputs(), [&](std::int64_t b, std::int64_t m) {
    if constexpr (std::is_same_v<T, float>)
      runs_of(h, b, b + m, [&](std::int64_t i, std::int64_t a, std::int64_t bi, std::int64_t count) { glu_floats(x + a, x + bi, y + i, count); });
    else
      for (std::int64_t i = b; i < b + m; ++i) layers::glu_output(h, x, y, i);
  });
}
template <typename T>
void input_gradients(const GluHalves& h, const T* x, const T* dy, T* dx) {
  parallel_chunks(h.outputs(), [&](std::int64_t b, std::int64_t m) {
    if constexpr (std::is_same_v<T, float>)
      runs_of(h, b, b + m, [&](std::int64_t i, std::int64_t a, std::int64_t bi, std::int64_t count) {
        glu_grad_floats(x + a, x + bi, dy + i, dx + a, dx + bi, count);
      });
    else
      for (std::int64_t i = b; i < b + m; ++i) layers::glu_input_gradient(h, x, dy, dx, i);
  });
}

std::pair<OpSchema, OpSchema> schemas() {
  OpSchema forward, gradient;
  forward.name = "glu";
  forward.inputs = {"x"};
  forward.outputs = {"y"};
  forward.attributes = {{"dim", std::int64_t{1}}};
  forward.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    const std::int64_t dim = a.integer("dim");
    if (dim < 1 || dim >= in[0].rank() || in[0][static_cast<int>(dim)] % 2)
      throw ShapeError(fmt::format("glu halves axis {} of {}, which must be a sample axis of even extent", dim, in[0].str()));
    Shape y = in[0];
    y[static_cast<int>(dim)] /= 2;
    return std::vector<Shape>{y};
  };
  forward.gradient = "glu_grad";
  forward.host_reference = [](HostOpCall& call) {
    outputs(halves_of(call.inputs[0].shape, call.integer("dim")), call.inputs[0].values.data(), call.outputs[0].values.data());
  };
  gradient.name = "glu_grad";
  gradient.inputs = {"x", "y", "dy"};
  gradient.outputs = {"dx"};
  gradient.attributes = forward.attributes;
  gradient.check_shapes = {Shape{4, 6}, Shape{4, 3}, Shape{4, 3}};
  gradient.host_reference = [](HostOpCall& call) {
    input_gradients(halves_of(call.inputs[0].shape, call.integer("dim")), call.inputs[0].values.data(), call.inputs[2].values.data(),
                    call.outputs[0].values.data());
  };
  return {std::move(forward), std::move(gradient)};
}

class Glu final : public OpLayer {
 public:
  Glu(OpHandle op, const Params& p) : OpLayer(std::move(op)), dim_(p.integer("dim", -1, -1, Shape::kMaxRank)) {
    if (dim_ == 0) p.fail("dim", "must be a sample axis, from 1 (0 is the batch), or -1 for the last");
    p.check_unused();
  }
  std::string type() const override { return "glu"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() == 0 || dim_ > input.rank())
      throw ShapeError(fmt::format("glu: dim {} is not an axis of input {} (sample axes 1 to {})", dim_, input.str(), input.rank()));
    axis_ = dim_ < 0 ? input.rank() : dim_;
    if (input[static_cast<int>(axis_ - 1)] % 2)
      throw ShapeError(fmt::format("glu halves axis {} of input {}, whose extent {} is odd", axis_, input.str(), input[static_cast<int>(axis_ - 1)]));
    Shape output = input;
    output[static_cast<int>(axis_ - 1)] /= 2;
    return bind(ctx, output, {{"dim", axis_}});
  }

 private:
  std::int64_t dim_, axis_ = 1;  // as the spec gives it; as the ops count it, the batch being 0
};

}  // namespace

NNPLUG_PLUGIN("glu", "0.1.0", "op:glu op:glu_grad layer:glu", 0) {
  auto [forward, gradient] = schemas();
  OpHandle op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"glu", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      outputs(halves_of(call.inputs[0].shape(), call.integer("dim")), call.inputs[0].data<T>(), call.outputs[0].data<T>());
    });
  });
  registrar.add_kernel({"glu_grad", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      input_gradients(halves_of(call.inputs[0].shape(), call.integer("dim")), call.inputs[0].data<T>(), call.inputs[2].data<T>(),
                      call.outputs[0].data<T>());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"glu", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      layers::glu_cuda(halves_of(call.inputs[0].shape(), call.integer("dim")), call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.stream);
    });
  });
  registrar.add_kernel({"glu_grad", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      layers::glu_grad_cuda(halves_of(call.inputs[0].shape(), call.integer("dim")), call.inputs[0].data<T>(), call.inputs[2].data<T>(),
                            call.outputs[0].data<T>(), call.stream);
    });
  });
#endif
  registrar.add_layer("glu", [op](const Params& p) { return std::make_unique<Glu>(op, p); });
}
