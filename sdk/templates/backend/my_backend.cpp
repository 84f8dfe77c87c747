// Template backend 'my_backend': memory on the host and a first set of ops (fill, copy, axpby, multiply, the
// element-wise activations and their gradients) in plain loops, for float32 and float64. A real backend (a GPU,
// an accelerator) keeps this shape: allocate() hands out its own buffers, upload/download copy across, supports()
// says which ops run here, run() dispatches on the op's type. Grow it op by op; `nnplug plugin-check` compares
// every op with the CPU backend and lists the ones still missing.
#include <cmath>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class HostBuffer final : public Buffer {
 public:
  HostBuffer(std::shared_ptr<Backend> owner, std::size_t bytes) : owner_(std::move(owner)), bytes_(bytes), data_(new unsigned char[bytes]) {}
  void* data() override { return data_.get(); }
  std::size_t bytes() const override { return bytes_; }
  Backend& backend() override { return *owner_; }

 private:
  std::shared_ptr<Backend> owner_;  // a buffer keeps its backend (and this library) alive
  std::size_t bytes_;
  std::unique_ptr<unsigned char[]> data_;
};

template <typename T>
T activate(Pointwise fn, T x, T alpha) {
  switch (fn) {
    case Pointwise::Identity: return x;
    case Pointwise::Relu: return x > 0 ? x : T(0);
    case Pointwise::LeakyRelu: return x > 0 ? x : alpha * x;
    case Pointwise::Sigmoid: return T(1) / (T(1) + std::exp(-x));
    case Pointwise::Tanh: return std::tanh(x);
    default: throw BackendError(fmt::format("my_backend: activation {} is not implemented yet", static_cast<int>(fn)));
  }
}

template <typename T>
T derivative(Pointwise fn, T x, T y, T alpha) {
  switch (fn) {
    case Pointwise::Identity: return T(1);
    case Pointwise::Relu: return x > 0 ? T(1) : T(0);
    case Pointwise::LeakyRelu: return x > 0 ? T(1) : alpha;
    case Pointwise::Sigmoid: return y * (T(1) - y);
    case Pointwise::Tanh: return T(1) - y * y;
    default: throw BackendError(fmt::format("my_backend: activation gradient {} is not implemented yet", static_cast<int>(fn)));
  }
}

class MyBackend final : public Backend {
 public:
  std::string name() const override { return "my_backend"; }
  std::string device() const override { return "host memory, one thread"; }

  std::shared_ptr<Buffer> allocate(std::size_t bytes) override {
    if (bytes == 0) throw BackendError("my_backend: cannot allocate 0 bytes");
    return std::make_shared<HostBuffer>(shared_from_this(), bytes);
  }
  void upload(const Tensor& dst, const void* host, std::size_t bytes) override { std::memcpy(dst.data(), host, bytes); }
  void download(void* host, const Tensor& src, std::size_t bytes) override { std::memcpy(host, src.data(), bytes); }

  bool supports(const Op& op, DType dtype) const override {
    if (dtype == DType::Int32) return false;
    if (const auto* a = std::get_if<op::Activation>(&op)) return implemented(a->fn);
    if (const auto* g = std::get_if<op::ActivationGrad>(&op)) return implemented(g->fn);
    return std::holds_alternative<op::Fill>(op) || std::holds_alternative<op::Copy>(op) || std::holds_alternative<op::Axpby>(op) ||
           std::holds_alternative<op::Multiply>(op);
  }

  void run(const Op& op) override {
    if (!std::visit([this](const auto& o) { return kernel(o); }, op))
      throw BackendError(std::string("my_backend: op ") + op_name(op) + " is not implemented yet");
  }

 private:
  static bool implemented(Pointwise fn) {
    return fn == Pointwise::Identity || fn == Pointwise::Relu || fn == Pointwise::LeakyRelu || fn == Pointwise::Sigmoid ||
           fn == Pointwise::Tanh;
  }
  // Calls f(T{}) with T the tensor's element type.
  template <typename F>
  static void typed(const Tensor& t, F&& f) {
    if (t.dtype() == DType::Float32) f(float{});
    else if (t.dtype() == DType::Float64) f(double{});
    else throw BackendError("my_backend: int32 tensors are only stored, not computed on");
  }

  bool kernel(const op::Fill& o) {
    typed(o.out, [&](auto tag) {
      using T = decltype(tag);
      std::fill_n(o.out.data<T>(), o.out.numel(), static_cast<T>(o.value));
    });
    return true;
  }
  bool kernel(const op::Copy& o) {
    std::memcpy(o.out.data(), o.x.data(), o.x.bytes());
    return true;
  }
  bool kernel(const op::Axpby& o) {
    typed(o.y, [&](auto tag) {
      using T = decltype(tag);
      const T* x = o.x.data<T>();
      T* y = o.y.data<T>();
      for (std::int64_t i = 0; i < o.y.numel(); ++i) y[i] = static_cast<T>(o.alpha) * x[i] + (o.beta == 0 ? T(0) : static_cast<T>(o.beta) * y[i]);
    });
    return true;
  }
  bool kernel(const op::Multiply& o) {
    typed(o.out, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < o.out.numel(); ++i) o.out.data<T>()[i] = o.a.data<T>()[i] * o.b.data<T>()[i];
    });
    return true;
  }
  bool kernel(const op::Activation& o) {
    typed(o.y, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < o.y.numel(); ++i) o.y.data<T>()[i] = activate<T>(o.fn, o.x.data<T>()[i], static_cast<T>(o.alpha));
    });
    return true;
  }
  bool kernel(const op::ActivationGrad& o) {
    typed(o.dx, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < o.dx.numel(); ++i) {
        const T x = o.x.defined() ? o.x.data<T>()[i] : T(0), y = o.y.defined() ? o.y.data<T>()[i] : T(0);
        o.dx.data<T>()[i] = o.dy.data<T>()[i] * derivative<T>(o.fn, x, y, static_cast<T>(o.alpha));
      }
    });
    return true;
  }
  // Every other op: not yet. supports() already said so; run() says which op.
  template <typename Other>
  bool kernel(const Other&) {
    return false;
  }
};

}  // namespace

NNPLUG_PLUGIN("my_backend", "0.1.0", "backend:my_backend", 0) {
  registrar.add_backend("my_backend", [](const Params& p) {
    p.check_unused();
    return std::make_unique<MyBackend>();
  });
}

// The probe's score ranks usable backends (the highest is the default): this one is never the default.
NNPLUG_PLUGIN_PROBE() { return {0.01, ""}; }
