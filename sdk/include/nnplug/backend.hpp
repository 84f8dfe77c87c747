#pragma once
// Backend: owns memory and runs ops. The interface is deliberately narrow (memory, "do you support this op?",
// execution) so that a device backend can replace the CPU one without any layer being recompiled.
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "nnplug/export.hpp"
#include "nnplug/ops.hpp"
#include "nnplug/tensor.hpp"

namespace nnplug {

// What a backend's allocator holds. A steady training step must not raise system_allocations.
struct MemoryStats {
  std::size_t bytes_in_use = 0;        // held by live tensors
  std::size_t bytes_cached = 0;        // freed, kept for reuse
  std::size_t system_allocations = 0;  // requests the cache could not serve
};

// What run_step() did so far: step parts recorded, parts replayed from a recording, and parts run op by op. A
// backend that does not record reports zeros.
struct StepStats {
  std::size_t captures = 0;
  std::size_t replays = 0;
  std::size_t parts_run_op_by_op = 0;
};

// Objects are created by the host as std::shared_ptr, so a backend can hand shared_from_this() to its buffers:
// a buffer keeps its backend (and the backend's library) alive.
class NNPLUG_API Backend : public std::enable_shared_from_this<Backend> {
 public:
  virtual ~Backend() = default;

  // The registered name ("cpu") and a description of the device it runs on ("cpu avx2, 2 threads").
  virtual std::string name() const = 0;
  virtual std::string device() const = 0;

  // Requires bytes > 0. The memory is uninitialised. Throws BackendError when out of memory.
  virtual std::shared_ptr<Buffer> allocate(std::size_t bytes) = 0;

  // Copies bytes between host memory and a contiguous tensor of this backend (bytes <= dst.bytes()).
  virtual void upload(const Tensor& dst, const void* host, std::size_t bytes) = 0;
  virtual void download(void* host, const Tensor& src, std::size_t bytes) = 0;

  // Whether run() handles this op for this dtype. Cheap; callers may ask before every run.
  virtual bool supports(const Op& op, DType dtype) const = 0;

  // Runs the op (possibly asynchronously: download() waits for earlier ops). Throws BackendError naming the op
  // and the tensors when their shapes or dtypes do not fit.
  virtual void run(const Op& op) = 0;

  // Waits until every op issued so far has finished.
  virtual void synchronize() {}

  // Whether Tensor::data() of this backend's tensors is host memory that another library (MPI) may read and write
  // directly once synchronize() has returned; otherwise such code copies through upload() and download().
  virtual bool host_addressable() const { return false; }

  // On a host-addressable backend: the address of t's first element, for the caller to write t's values there
  // (as upload() would, without the copy) and finish before it runs the next op. Unlike an address taken with
  // data(), this tells the backend that t's values change, so a backend that keeps values derived from its tensors
  // (the CPU backend's bfloat16 copies of a product's inputs) keeps them for t's buffer; through data() it cannot
  // tell when they change and keeps none. Other backends throw BackendError.
  virtual void* write_in_place(const Tensor& t) {
    if (!host_addressable()) throw BackendError(fmt::format("{} tensors are not host memory: write them with upload()", name()));
    return t.data();
  }

  // Runs `body`, which issues the ops of one named part of a step ("forward", "update") and is called again and
  // again with the same tensors. A backend may record those ops and, once body issues the same ops again (equal
  // tensors, shapes and attributes; only learning rates, step counts and seeds may differ), launch the recorded
  // ones as one unit instead (a CUDA graph): the ops then cost one launch, not one each. The result must be the
  // same as running every op as it comes. A download or upload inside body makes the backend run the ops so far
  // and that part as they come from then on, so body should not read results back.
  virtual void run_step(std::string_view name, const std::function<void()>& body) {
    (void)name;
    body();
  }

  virtual MemoryStats memory_stats() const { return {}; }
  virtual StepStats step_stats() const { return {}; }

  // Whether this backend's ops take tensors in `layout` besides row-major: its convolutions, pooling, batch norm,
  // dropout and element-wise ops (fill, copy, axpby, multiply, activations and their gradients, penalties); any
  // other op refuses them. Copy between two layouts reorders.
  virtual bool has_layout(Layout layout) const { return layout == Layout::RowMajor; }

  // The layout in which this backend computes a convolution from `input` to `output` (batch shapes) fastest, one
  // that has_layout() admits: a convolution layer writes its output in it. Row-major unless the backend says
  // otherwise.
  virtual Layout convolution_layout(const Shape& input, const Shape& output, DType dtype) const {
    (void)input, (void)output, (void)dtype;
    return Layout::RowMajor;
  }

  // Creates a tensor in new memory of this backend, in a layout it has.
  Tensor empty(const Shape& shape, DType dtype, Layout layout = Layout::RowMajor) {
    if (!has_layout(layout))
      throw BackendError(fmt::format("{} backend: cannot create {}{} in channel blocks of 16: its ops take row-major tensors only",
                                     name(), dtype_name(dtype), shape.str()));
    std::size_t n = 0;
    if (shape.numel() < 0 || __builtin_mul_overflow(static_cast<std::size_t>(shape.numel()), dtype_size(dtype), &n))
      throw BackendError(fmt::format("{} backend: cannot create {}{}: its size in bytes is negative or past 64 bits", name(), dtype_name(dtype),
                                     shape.str()));
    return Tensor(allocate(n ? n : dtype_size(dtype)), dtype, shape, 0, layout);
  }
};

// The position in memory of each element of `t`, in row-major order of its indices: the identity for a
// row-major tensor, the channel-block permutation otherwise.
template <typename Visit>
void for_each_position(const Tensor& t, Visit&& visit) {
  const Shape& s = t.shape();
  if (t.row_major()) {
    for (std::int64_t i = 0; i < t.numel(); ++i) visit(i, i);
    return;
  }
  std::int64_t i = 0;
  for (std::int64_t n = 0; n < s[0]; ++n)
    for (std::int64_t c = 0; c < s[1]; ++c)
      for (std::int64_t h = 0; h < s[2]; ++h)
        for (std::int64_t w = 0; w < s[3]; ++w) visit(i++, channel_block_offset(s, n, c, h, w));
}

// Host helpers built on upload/download. They convert between T and the tensor's dtype when they differ.
// Values come and go in row-major order whatever the tensor's layout.
template <typename T>
std::vector<T> to_host(const Tensor& t) {
  std::vector<T> out(static_cast<std::size_t>(t.numel()));
  if (t.dtype() == dtype_of<T>() && t.row_major()) {
    t.backend().download(out.data(), t, t.bytes());
    return out;
  }
  std::vector<unsigned char> raw(t.bytes());
  t.backend().download(raw.data(), t, t.bytes());
  for_each_position(t, [&](std::int64_t index, std::int64_t at) {
    const auto i = static_cast<std::size_t>(index), p = static_cast<std::size_t>(at);
    switch (t.dtype()) {
      case DType::Float32: { float v; std::memcpy(&v, raw.data() + 4 * p, 4); out[i] = static_cast<T>(v); break; }
      case DType::Float64: { double v; std::memcpy(&v, raw.data() + 8 * p, 8); out[i] = static_cast<T>(v); break; }
      case DType::Int32: { std::int32_t v; std::memcpy(&v, raw.data() + 4 * p, 4); out[i] = static_cast<T>(v); break; }
    }
  });
  return out;
}

template <typename T>
void from_host(const Tensor& t, const std::vector<T>& values) {
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    throw ShapeError(fmt::format("cannot copy {} host values into tensor {}", values.size(), t.describe()));
  if (t.dtype() == dtype_of<T>() && t.row_major()) {
    t.backend().upload(t, values.data(), t.bytes());
    return;
  }
  std::vector<unsigned char> raw(t.bytes());
  for_each_position(t, [&](std::int64_t index, std::int64_t at) {
    const auto i = static_cast<std::size_t>(index), p = static_cast<std::size_t>(at);
    switch (t.dtype()) {
      case DType::Float32: { auto v = static_cast<float>(values[i]); std::memcpy(raw.data() + 4 * p, &v, 4); break; }
      case DType::Float64: { auto v = static_cast<double>(values[i]); std::memcpy(raw.data() + 8 * p, &v, 8); break; }
      case DType::Int32: { auto v = static_cast<std::int32_t>(values[i]); std::memcpy(raw.data() + 4 * p, &v, 4); break; }
    }
  });
  t.backend().upload(t, raw.data(), raw.size());
}

// Runs an op on the backend of `any`, one of the op's tensors.
inline void run_on(const Tensor& any, const Op& op) { any.backend().run(op); }

// Makes `t` a tensor of this shape and dtype, reusing its memory when it already is one. Layers keep their outputs
// and gradients in such tensors so that a training step allocates nothing once the batch size is steady.
inline Tensor& ensure(Tensor& t, Backend& backend, const Shape& shape, DType dtype, Layout layout = Layout::RowMajor) {
  if (!t.defined() || !(t.shape() == shape) || t.dtype() != dtype || t.layout() != layout || &t.backend() != &backend)
    t = backend.empty(shape, dtype, layout);
  return t;
}

}  // namespace nnplug
