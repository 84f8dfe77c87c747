#pragma once
// The op behind global_avg_pool1d's "mask_zero": the mean of each channel over a sample's steps, leaving out the steps
// whose values are all zero, as Keras's GlobalAveragePooling1D leaves out the steps an Embedding(mask_zero=True)
// masks: the padding rows of an embedding with padding_idx are exactly zero. A sample whose every step is masked
// gives zeros (Keras: 0 / 0). Ops this plugin brings (custom_op.hpp), with a CPU kernel, a CUDA kernel (where nvcc was
// found: ../shared/step_mask.cu) and a host reference:
//   masked_step_mean(x) -> (y), x (N, C, L) or, with channels_last, (N, L, C); y (N, C)
//   masked_step_mean_grad(x, y, dy) -> (dx): dy / (the sample's unmasked steps) on each unmasked step, 0 on the rest.
#include <cstdint>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "../shared/step_mask_cuda.hpp"
#endif

namespace nnplug::masked_step_mean {

struct Steps {
  std::int64_t n, c, l;
  bool channels_last;
  std::int64_t at(std::int64_t sample, std::int64_t step, std::int64_t channel) const {
    return channels_last ? (sample * l + step) * c + channel : (sample * c + channel) * l + step;
  }
  // Which of a sample's steps count, and how many do.
  template <typename T>
  std::pair<std::vector<bool>, std::int64_t> unmasked(const T* x, std::int64_t sample) const {
    std::vector<bool> kept(static_cast<std::size_t>(l), false);
    std::int64_t count = 0;
    for (std::int64_t t = 0; t < l; ++t) {
      for (std::int64_t k = 0; k < c && !kept[static_cast<std::size_t>(t)]; ++k) kept[static_cast<std::size_t>(t)] = x[at(sample, t, k)] != T(0);
      count += kept[static_cast<std::size_t>(t)];
    }
    return {std::move(kept), count};
  }
};

template <typename T>
void forward(const T* x, T* y, const Steps& d) {
  for (std::int64_t s = 0; s < d.n; ++s) {
    const auto [kept, count] = d.unmasked(x, s);
    for (std::int64_t k = 0; k < d.c; ++k) {
      double sum = 0.0;
      for (std::int64_t t = 0; t < d.l; ++t)
        if (kept[static_cast<std::size_t>(t)]) sum += static_cast<double>(x[d.at(s, t, k)]);
      y[s * d.c + k] = static_cast<T>(count ? sum / static_cast<double>(count) : 0.0);
    }
  }
}

template <typename T>
void gradient(const T* x, const T* dy, T* dx, const Steps& d) {
  for (std::int64_t s = 0; s < d.n; ++s) {
    const auto [kept, count] = d.unmasked(x, s);
    for (std::int64_t t = 0; t < d.l; ++t)
      for (std::int64_t k = 0; k < d.c; ++k)
        dx[d.at(s, t, k)] = kept[static_cast<std::size_t>(t)] ? static_cast<T>(static_cast<double>(dy[s * d.c + k]) / static_cast<double>(count)) : T(0);
  }
}

inline Steps steps_of(const Shape& x, const OpAttributes& a) {
  const bool last = a.integer("channels_last") != 0;
  return {x[0], last ? x[2] : x[1], last ? x[1] : x[2], last};
}

inline std::vector<Shape> shapes(const std::vector<Shape>& in, const OpAttributes& a) {
  if (in[0].rank() != 3) throw ShapeError(fmt::format("masked_step_mean takes x (N, C, L) or, channels last, (N, L, C), got {}", in[0].str()));
  const Steps d = steps_of(in[0], a);
  return {Shape{d.n, d.c}};
}

inline std::pair<OpSchema, OpSchema> schemas() {
  OpSchema mean, grad;
  mean.name = "masked_step_mean";
  mean.inputs = {"x"};
  mean.outputs = {"y"};
  mean.attributes = {{"channels_last", std::int64_t{0}}};
  mean.gradient = "masked_step_mean_grad";
  mean.shape_rule = shapes;
  mean.check_shapes = {Shape{3, 4, 5}};
  mean.host_reference = [](HostOpCall& c) { forward(c.inputs[0].values.data(), c.outputs[0].values.data(), steps_of(c.inputs[0].shape, c)); };
  grad.name = "masked_step_mean_grad";
  grad.inputs = {"x", "y", "dy"};
  grad.outputs = {"dx"};
  grad.attributes = mean.attributes;
  grad.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    const Shape mean = shapes(in, a)[0];
    if (in[1] != mean || in[2] != mean)
      throw ShapeError(fmt::format("masked_step_mean_grad: y {} and dy {} must be {}, the mean of x {}", in[1].str(), in[2].str(), mean.str(), in[0].str()));
    return std::vector<Shape>{in[0]};
  };
  grad.check_shapes = {Shape{3, 4, 5}, Shape{3, 4}, Shape{3, 4}};
  grad.host_reference = [](HostOpCall& c) {
    gradient(c.inputs[0].values.data(), c.inputs[2].values.data(), c.outputs[0].values.data(), steps_of(c.inputs[0].shape, c));
  };
  return {std::move(mean), std::move(grad)};
}

inline void on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    forward(c.inputs[0].data<T>(), c.outputs[0].data<T>(), steps_of(c.inputs[0].shape(), c));
  });
}

inline void gradient_on_cpu(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    gradient(c.inputs[0].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), steps_of(c.inputs[0].shape(), c));
  });
}

#ifdef NNPLUG_PLUGIN_HAS_CUDA
inline void on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Steps d = steps_of(c.inputs[0].shape(), c);
    cuda_kernels::masked_step_mean(c.inputs[0].data<T>(), c.outputs[0].data<T>(), d.n, d.c, d.l, d.channels_last, c.stream);
  });
}

inline void gradient_on_cuda(const OpCall& c) {
  with_float_type(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Steps d = steps_of(c.inputs[0].shape(), c);
    cuda_kernels::masked_step_mean_grad(c.inputs[0].data<T>(), c.inputs[2].data<T>(), c.outputs[0].data<T>(), d.n, d.c, d.l, d.channels_last,
                                        c.stream);
  });
}
#endif

}  // namespace nnplug::masked_step_mean
