#pragma once
// The op behind the recurrent layers' "mask_zero": which steps of a sequence count. A step whose features are all
// zero (an embedding's padding_idx row, Keras's Masking(0.0)) is skipped. Each recurrent plugin brings it under its
// own name ("lstm_step_mask", ...), as two plugins may not define one op; a CPU kernel, a CUDA kernel (step_mask.cu,
// where nvcc was found) and a host reference:
//   <layer>_step_mask(x) -> (kept, skipped): x (R, F), a row per step; kept (R, units) 1 on the rows of a step with
//   a value that is not zero, else 0; skipped = 1 - kept. Both are what the layer multiplies its state by, so that a
//   step's state is exactly kept * new + skipped * old. The mask has no gradient: it is constant where it is defined.
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "nnplug/registrar.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "step_mask_cuda.hpp"
#endif

namespace nnplug::step_mask {

template <typename T>
void compute(const T* x, T* kept, T* skipped, std::int64_t rows, std::int64_t features, std::int64_t units) {
  for (std::int64_t r = 0; r < rows; ++r) {
    bool counts = false;
    for (std::int64_t f = 0; f < features && !counts; ++f) counts = x[r * features + f] != T(0);
    for (std::int64_t u = 0; u < units; ++u) kept[r * units + u] = counts ? T(1) : T(0), skipped[r * units + u] = counts ? T(0) : T(1);
  }
}

inline OpSchema schema(const std::string& layer) {
  OpSchema s;
  s.name = layer + "_step_mask";
  s.inputs = {"x"};
  s.outputs = {"kept", "skipped"};
  s.attributes = {{"units", std::int64_t{1}}};
  s.shape_rule = [name = s.name](const std::vector<Shape>& in, const OpAttributes& a) {
    if (in[0].rank() != 2) throw ShapeError(fmt::format("{} takes x (rows, features), a row per step, got {}", name, in[0].str()));
    const Shape out{in[0][0], a.integer("units")};
    return std::vector<Shape>{out, out};
  };
  s.check_shapes = {Shape{6, 3}};
  // Some steps all zero, so that the check sees both answers.
  s.check_values = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) {
    for (std::size_t i = 0; i < inputs[0].values.size(); ++i)
      if (i / 3 % 2 == 1) inputs[0].values[i] = 0.0;
  };
  s.host_reference = [](HostOpCall& c) {
    const Shape& x = c.inputs[0].shape;
    compute(c.inputs[0].values.data(), c.outputs[0].values.data(), c.outputs[1].values.data(), x[0], x[1], c.integer("units"));
  };
  return s;
}

// Defines the op for `layer`, with its CPU kernel and, where nvcc was found, its CUDA kernel.
inline OpHandle define(Registrar& registrar, const std::string& layer) {
  OpHandle op = registrar.add_op(schema(layer));
  registrar.add_kernel({layer + "_step_mask", "cpu"}, [](const OpCall& c) {
    with_float_type(c.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor& x = c.inputs[0];
      compute(x.data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(), x.dim(0), x.dim(1), c.integer("units"));
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({layer + "_step_mask", "cuda"}, [](const OpCall& c) {
    with_float_type(c.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor& x = c.inputs[0];
      cuda_kernels::step_mask(x.data<T>(), c.outputs[0].data<T>(), c.outputs[1].data<T>(), x.dim(0), x.dim(1), c.integer("units"), c.stream);
    });
  });
#endif
  return op;
}

}  // namespace nnplug::step_mask
