#pragma once
// What the oneDNN paths share (convolutions, matrix products): one engine and stream, and one lock, because their
// plans keep staging copies that two threads must not use at once. Only included where NNPLUG_HAVE_ONEDNN is set.
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "nnplug/errors.hpp"
#include "nnplug/ops.hpp"
#include "nnplug/tensor.hpp"

#include "cpu_buffer.hpp"

namespace nnplug::cpu {

struct OnednnLibrary {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::mutex mutex;
};

inline OnednnLibrary& onednn_library() {
  static OnednnLibrary instance;
  return instance;
}

// A float32 tensor's values, and the same rounded to bfloat16 (its buffer's kept copy, or `scratch`;
// cpu_buffer.hpp), as the pointers oneDNN's memory objects take.
inline float* float_values(const Tensor& t) { return const_cast<float*>(t.data<float>()); }
inline std::uint16_t* rounded_values(const Tensor& t, std::vector<std::uint16_t>& scratch) {
  return const_cast<std::uint16_t*>(cpu_buffer(t).rounded(t, scratch));
}

// A float32 tensor's values as oneDNN memory of layout `desc`, without a copy.
inline dnnl::memory user_memory(OnednnLibrary& lib, const dnnl::memory::desc& desc, const Tensor& t) {
  return dnnl::memory(desc, lib.engine, float_values(t));
}

// The float32 tensor t rounded to bfloat16, as oneDNN memory of `desc`, a bfloat16 desc of t's own element order.
inline dnnl::memory rounded(OnednnLibrary& lib, const dnnl::memory::desc& desc, const Tensor& t, std::vector<std::uint16_t>& scratch) {
  return {desc, lib.engine, rounded_values(t, scratch)};
}

// The function of an op's epilogue that a primitive's output pass applies (oneDNN's eltwise_relu post-op), as its
// slope below zero: 0 for ReLU, alpha for leaky ReLU; none for any other function, which runs after the primitive.
inline std::optional<double> relu_slope(Pointwise fn, double alpha) {
  if (fn == Pointwise::Relu) return 0.0;
  if (fn == Pointwise::LeakyRelu) return pointwise_alpha(fn, alpha);
  return std::nullopt;
}

// Runs body(library) under the lock. oneDNN's own errors (an unsupported shape, no memory) become BackendErrors
// naming the op; a run that fails is not retried on Eigen, because it may have written part of its outputs.
template <typename Body>
void run_on_onednn(const char* op, Body&& body) {
  OnednnLibrary& lib = onednn_library();
  const std::lock_guard lock(lib.mutex);
  try {
    body(lib);
  } catch (const dnnl::error& e) {
    throw BackendError(fmt::format("cpu backend: {}: oneDNN failed: {}", op, e.what()));
  }
}

}  // namespace nnplug::cpu
