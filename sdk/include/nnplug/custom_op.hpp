#pragma once
// Ops that plugins bring. A plugin defines an op by its schema (Registrar::add_op) and adds kernels for it, per
// backend type and dtype (Registrar::add_kernel), from the same plugin or another one. A component (layer,
// activation, optimizer) binds the op to its backend and dtype once, when it is built (BoundOp), which picks the
// kernel; running it then costs no lookup.
//
// The kernel a binding picks, first found:
//   1. a native kernel registered for the backend's type ("cpu", whichever CPU variant was chosen) and the dtype;
//      the backend runs it as op::Custom, handing it its native stream, so that step graphs record it;
//   2. the op's composite: a function that issues built-in (or other bound) ops, so it runs on any backend;
//   3. the op's host reference: a function over double values on the host, fed through download and upload.
// An op with none of these for the backend is refused when bound, naming the op, the backend and the kernels.
//
// The backward pass is another op (OpSchema::gradient), with kernels of its own; the conformance kit checks it
// against finite differences in float64, and each kernel against the op's reference, in `nnplug plugin-check`.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/backend.hpp"
#include "nnplug/errors.hpp"
#include "nnplug/ops.hpp"

namespace nnplug {

class OpDefinition;

// An attribute an op declares: its name and default value, whose alternative (number, integer, flag) is its type.
struct OpAttribute {
  std::string name;
  OpAttributeValue default_value;
};

// An op's attribute values, read by name ("b", "lr"). Numbers accept integers; a name the op does not declare, or a
// value of another type, throws InvalidArgument naming the op.
class OpAttributes {
 public:
  OpAttributes(const OpDefinition& op, const std::vector<OpAttributeValue>& values) : op_(op), values_(values) {}
  double number(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool flag(std::string_view name) const;
  const OpDefinition& op() const { return op_; }

 private:
  const OpAttributeValue& at(std::string_view name) const;
  const OpDefinition& op_;
  const std::vector<OpAttributeValue>& values_;
};

// What a native kernel or a composite receives. The tensors are in the order the schema names them, all of the
// call's dtype, on `backend`, contiguous, shaped as the shape rule says.
struct OpCall : OpAttributes {
  OpCall(const OpDefinition& op, Backend& backend, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
         const std::vector<OpAttributeValue>& values, void* stream = nullptr)
      : OpAttributes(op, values), backend(backend), inputs(inputs), outputs(outputs), stream(stream) {}
  Backend& backend;
  const std::vector<Tensor>& inputs;
  const std::vector<Tensor>& outputs;
  void* stream;  // the backend's native queue: a cudaStream_t on "cuda"; null on "cpu" and for composites
  DType dtype() const { return inputs.front().dtype(); }
};
using KernelFunction = std::function<void(const OpCall&)>;

// Calls f(T{}) with T = float or double, as dtype says: the body of a kernel written once for both.
template <typename F>
void with_float_type(DType dtype, F&& f) {
  if (dtype == DType::Float32) f(float{});
  else if (dtype == DType::Float64) f(double{});
  else throw InvalidArgument(fmt::format("op kernels run float32 and float64, not {}", dtype_name(dtype)));
}

// What a host reference receives: every tensor as double values on the host. The outputs come shaped by the shape
// rule and hold the outputs' current values (an op that updates its outputs reads them).
struct HostTensor {
  Shape shape;
  std::vector<double> values;
};
struct HostOpCall : OpAttributes {
  HostOpCall(const OpDefinition& op, const std::vector<HostTensor>& inputs, std::vector<HostTensor>& outputs,
             const std::vector<OpAttributeValue>& values)
      : OpAttributes(op, values), inputs(inputs), outputs(outputs) {}
  const std::vector<HostTensor>& inputs;
  std::vector<HostTensor>& outputs;
};
using HostKernelFunction = std::function<void(HostOpCall&)>;

// The output shapes (batch dimension included) for these input shapes; throws ShapeError saying why they do not fit.
using ShapeRule = std::function<std::vector<Shape>(const std::vector<Shape>& inputs, const OpAttributes& attributes)>;

// What a plugin declares about an op.
struct OpSchema {
  std::string name;                         // unique among all plugins: "squareplus"
  std::vector<std::string> inputs, outputs;  // names, for messages and `plugins --explain`; at least one input
  std::vector<OpAttribute> attributes;
  std::vector<DType> dtypes{DType::Float32, DType::Float64};
  ShapeRule shape_rule;          // none: every output has the first input's shape
  bool updates_outputs = false;  // the kernels read the outputs and update them in place (an optimizer step)
  // References: what runs where no native kernel does, and what plugin-check compares every kernel against.
  KernelFunction composite;
  HostKernelFunction host_reference;
  // The op computing this op's input gradients: its inputs are this op's inputs, outputs and output gradients, in
  // that order; its outputs are the gradients of this op's inputs; its attributes are this op's. Empty: none.
  std::string gradient;
  // plugin-check: the largest difference a kernel may have from the reference, relative to max(1, |reference|),
  // and the input shapes it tries (none: [4, 6] for every input).
  double tolerance_float32 = 1e-5, tolerance_float64 = 1e-12;
  std::vector<Shape> check_shapes;
  // plugin-check: moves its random normal values (the inputs, and the outputs of an op that updates them) into the
  // op's domain, e.g. a second moment that is never negative. None: any values do.
  std::function<void(std::vector<HostTensor>& inputs, std::vector<HostTensor>& outputs)> check_values;
};

// A kernel of an op, as another plugin than the op's may register it: the op, the backend type and the dtypes it
// runs, and the attributes it was written for (none given: the definition's), which must be the definition's.
struct OpKernelSpec {
  std::string op, backend;
  std::vector<DType> dtypes{DType::Float32, DType::Float64};
  std::optional<std::vector<std::string>> attributes;
};

// A kernel as the host keeps it.
struct OpKernel {
  enum class Kind { Native, Composite, HostReference };
  std::shared_ptr<const void> library;  // keeps the kernel's code loaded; first, so that it is released last
  Kind kind = Kind::Native;
  std::string backend;  // Native: the backend type it runs on
  std::vector<DType> dtypes;
  KernelFunction run;              // Native and Composite
  HostKernelFunction run_on_host;  // HostReference
  const OpDefinition* op = nullptr;
  std::string origin;  // "plugin squareplus@1.0.0 (/path/squareplus.so)"

  bool runs(DType dtype) const { return std::find(dtypes.begin(), dtypes.end(), dtype) != dtypes.end(); }
  // Whether a backend of this type runs it natively in dtype (Backend::supports of an op::Custom).
  bool runs_on(const std::string& backend_type, DType dtype) const {
    return kind == Kind::Native && backend == backend_type && runs(dtype);
  }
  // "cpu kernel", "composite reference", "host reference".
  std::string label() const {
    return kind == Kind::Native ? fmt::format("{} kernel", backend) : kind == Kind::Composite ? "composite reference" : "host reference";
  }
  // "cpu kernel (float32, float64) from plugin ..."
  std::string describe() const {
    std::vector<std::string_view> types;
    for (DType t : dtypes) types.emplace_back(dtype_name(t));
    return fmt::format("{} ({}) from {}", label(), fmt::join(types, ", "), origin);
  }
};

// An op as the host knows it: its schema once a plugin defined it, and its kernels. Plugins hold it through
// std::shared_ptr<const OpDefinition> (Registrar::add_op, Registrar::op); the host fills it while loading plugins
// and never changes it afterwards.
class OpDefinition {
 public:
  explicit OpDefinition(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool defined() const { return defined_; }
  const OpSchema& schema() const { return schema_; }
  const std::string& origin() const { return origin_; }
  const std::vector<std::unique_ptr<OpKernel>>& kernels() const { return kernels_; }  // every kind
  const std::shared_ptr<const OpDefinition>& gradient() const { return gradient_; }

  // The kernel a backend of this type runs for dtype (see the top of this file), or null.
  const OpKernel* select(const std::string& backend, DType dtype) const {
    for (auto kind : {OpKernel::Kind::Native, OpKernel::Kind::Composite, OpKernel::Kind::HostReference})
      for (const auto& k : kernels_)
        if (k->kind == kind && (kind != OpKernel::Kind::Native || k->backend == backend) && k->runs(dtype)) return k.get();
    return nullptr;
  }
  const OpKernel* find(OpKernel::Kind kind, const std::string& backend = "") const {
    for (const auto& k : kernels_)
      if (k->kind == kind && k->backend == backend) return k.get();
    return nullptr;
  }
  // Every kernel, for messages: "cpu kernel (float32) from ...; composite reference (...) from ..." or "none".
  std::string describe_kernels() const {
    std::vector<std::string> all;
    for (const auto& k : kernels_) all.push_back(k->describe());
    return all.empty() ? "none" : fmt::format("{}", fmt::join(all, "; "));
  }
  // The index of an attribute in the schema, or -1.
  int attribute_index(std::string_view name) const {
    for (std::size_t i = 0; i < schema_.attributes.size(); ++i)
      if (schema_.attributes[i].name == name) return static_cast<int>(i);
    return -1;
  }
  // The output shapes for these input shapes, by the schema's rule; ShapeError names the op and the shapes.
  std::vector<Shape> output_shapes(const std::vector<Shape>& inputs, const std::vector<OpAttributeValue>& values) const {
    if (!schema_.shape_rule) return std::vector<Shape>(schema_.outputs.size(), inputs.front());
    try {
      return schema_.shape_rule(inputs, OpAttributes(*this, values));
    } catch (const std::exception& e) {
      std::vector<std::string> shapes;
      for (const auto& s : inputs) shapes.push_back(s.str());
      throw ShapeError(fmt::format("op '{}' ({}) does not take inputs of shapes {}: {}", name_, origin_, fmt::join(shapes, ", "), e.what()));
    }
  }

  // The host's side, while plugins load.
  void define(OpSchema schema, std::string origin, std::shared_ptr<const void> library) {
    library_ = std::move(library);
    schema_ = std::move(schema);
    origin_ = std::move(origin);
    defined_ = true;
  }
  void add_kernel(std::unique_ptr<OpKernel> kernel) {
    kernel->op = this;
    kernels_.push_back(std::move(kernel));
  }
  void set_gradient(std::shared_ptr<const OpDefinition> gradient) { gradient_ = std::move(gradient); }
  // What the ops bound so far run with (BoundOp notes each binding), for the model summary.
  const std::vector<std::pair<std::string, const OpKernel*>>& bindings() const { return bindings_; }
  void note_binding(const std::string& backend_and_dtype, const OpKernel* kernel) const {
    for (const auto& b : bindings_)
      if (b.first == backend_and_dtype) return;
    bindings_.emplace_back(backend_and_dtype, kernel);
  }

 private:
  std::string name_;
  std::shared_ptr<const void> library_;  // the schema's functions are its code: released last
  bool defined_ = false;
  OpSchema schema_;
  std::string origin_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;
  std::shared_ptr<const OpDefinition> gradient_;
  mutable std::vector<std::pair<std::string, const OpKernel*>> bindings_;  // models are built on one thread
};

inline const OpAttributeValue& OpAttributes::at(std::string_view name) const {
  const int i = op_.attribute_index(name);
  if (i < 0) throw InvalidArgument(fmt::format("op '{}' has no attribute '{}'", op_.name(), name));
  return values_[static_cast<std::size_t>(i)];
}
inline double OpAttributes::number(std::string_view name) const {
  const auto& v = at(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  throw InvalidArgument(fmt::format("op '{}': attribute '{}' is a flag, not a number", op_.name(), name));
}
inline std::int64_t OpAttributes::integer(std::string_view name) const {
  if (const auto* i = std::get_if<std::int64_t>(&at(name))) return *i;
  throw InvalidArgument(fmt::format("op '{}': attribute '{}' is not an integer", op_.name(), name));
}
inline bool OpAttributes::flag(std::string_view name) const {
  if (const auto* b = std::get_if<bool>(&at(name))) return *b;
  throw InvalidArgument(fmt::format("op '{}': attribute '{}' is not a flag", op_.name(), name));
}

// An op bound to a backend and dtype: what a component keeps and runs. Binding picks the kernel (and binds the
// op's gradient, if it declares one); a default-constructed BoundOp is unbound.
class BoundOp {
 public:
  using NamedValues = std::vector<std::pair<std::string_view, OpAttributeValue>>;

  BoundOp() = default;
  // Throws PluginError naming the op, the backend and the kernels that exist when none runs here. `kernel` forces
  // one of the op's kernels (the conformance kit compares each with the reference); it must run there.
  BoundOp(std::shared_ptr<const OpDefinition> op, Backend& backend, DType dtype, const OpKernel* kernel = nullptr)
      : op_(std::move(op)), backend_(&backend), dtype_(dtype) {
    if (!op_->defined())
      throw PluginError(fmt::format("op '{}' is not defined by any loaded plugin (run 'nnplug plugins --explain')", op_->name()));
    kernel_ = kernel ? kernel : op_->select(backend.name(), dtype);
    if (kernel && (kernel->op != op_.get() || !kernel->runs(dtype) ||
                   (kernel->kind == OpKernel::Kind::Native && kernel->backend != backend.name())))
      throw PluginError(fmt::format("op '{}': the {} does not run on backend '{}' in {}", op_->name(), kernel->describe(),
                                    backend.name(), dtype_name(dtype)));
    if (!kernel_)
      throw PluginError(fmt::format("op '{}' ({}) has no kernel for backend '{}' in {} and no reference that runs there; its kernels: {}",
                                    op_->name(), op_->origin(), backend.name(), dtype_name(dtype), op_->describe_kernels()));
    op_->note_binding(fmt::format("{} {}", backend.name(), dtype_name(dtype)), kernel_);
    if (op_->gradient()) gradient_ = std::make_shared<BoundOp>(op_->gradient(), backend, dtype);
  }

  bool bound() const { return kernel_ != nullptr; }
  const OpDefinition& op() const { return *op_; }
  const OpKernel& kernel() const { return *kernel_; }
  // The bound gradient op; PluginError when the op declares none.
  const BoundOp& gradient() const {
    if (!gradient_) throw PluginError(fmt::format("op '{}' ({}) declares no gradient", op_->name(), op_->origin()));
    return *gradient_;
  }

  // Runs the op. Attributes not named take their defaults. Throws ShapeError or BackendError naming the op.
  void operator()(std::vector<Tensor> inputs, std::vector<Tensor> outputs, const NamedValues& attributes = {}) const {
    if (!kernel_) throw PluginError("an op was run before it was bound to a backend (bind it when the component is built)");
    std::vector<OpAttributeValue> values = attribute_values(attributes);
    check(inputs, outputs, values);
    try {
      switch (kernel_->kind) {
        case OpKernel::Kind::Native:
          backend_->run(op::Custom{kernel_, std::move(inputs), std::move(outputs), std::move(values)});
          return;
        case OpKernel::Kind::Composite: kernel_->run(OpCall(*op_, *backend_, inputs, outputs, values)); return;
        case OpKernel::Kind::HostReference: run_on_host(inputs, outputs, values); return;
      }
    } catch (const std::exception& e) {
      throw BackendError(fmt::format("op '{}' on backend '{}', {}: {}", op_->name(), backend_->name(), kernel_->describe(), e.what()));
    }
  }

 private:
  std::vector<OpAttributeValue> attribute_values(const NamedValues& named) const {
    const auto& declared = op_->schema().attributes;
    std::vector<OpAttributeValue> values;
    values.reserve(declared.size());
    for (const auto& a : declared) values.push_back(a.default_value);
    for (const auto& [name, value] : named) {
      const int i = op_->attribute_index(name);
      if (i < 0) throw InvalidArgument(fmt::format("op '{}' has no attribute '{}'", op_->name(), name));
      auto& slot = values[static_cast<std::size_t>(i)];
      if (value.index() == slot.index()) slot = value;
      else if (std::holds_alternative<double>(slot) && std::holds_alternative<std::int64_t>(value))
        slot = static_cast<double>(std::get<std::int64_t>(value));
      else throw InvalidArgument(fmt::format("op '{}': attribute '{}' has another type", op_->name(), name));
    }
    return values;
  }

  void check(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
             const std::vector<OpAttributeValue>& values) const {
    const OpSchema& s = op_->schema();
    auto fail = [&](const std::string& what) { throw ShapeError(fmt::format("op '{}': {}", op_->name(), what)); };
    if (inputs.size() != s.inputs.size() || outputs.size() != s.outputs.size())
      fail(fmt::format("takes {} inputs and {} outputs, got {} and {}", s.inputs.size(), s.outputs.size(), inputs.size(), outputs.size()));
    std::vector<Shape> shapes;
    shapes.reserve(inputs.size());
    for (const auto* list : {&inputs, &outputs})
      for (const Tensor& t : *list)
        if (!t.defined() || &t.backend() != backend_ || t.dtype() != dtype_)
          fail(fmt::format("every tensor must be a {} tensor of backend '{}', got {}", dtype_name(dtype_), backend_->name(),
                           t.defined() ? fmt::format("{} of backend '{}'", t.describe(), t.backend().name()) : "an undefined tensor"));
    for (const Tensor& t : inputs) shapes.push_back(t.shape());
    const auto expected = op_->output_shapes(shapes, values);
    for (std::size_t i = 0; i < outputs.size(); ++i)
      if (i >= expected.size() || !(outputs[i].shape() == expected[i]))
        fail(fmt::format("output '{}' is {}, the shape rule gives {}", s.outputs[i], outputs[i].shape().str(),
                         i < expected.size() ? expected[i].str() : "no shape"));
  }

  void run_on_host(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                   const std::vector<OpAttributeValue>& values) const {
    std::vector<HostTensor> in, out;
    for (const Tensor& t : inputs) in.push_back({t.shape(), to_host<double>(t)});
    for (const Tensor& t : outputs)
      out.push_back({t.shape(), op_->schema().updates_outputs ? to_host<double>(t) : std::vector<double>(static_cast<std::size_t>(t.numel()))});
    HostOpCall call(*op_, in, out, values);
    kernel_->run_on_host(call);
    for (std::size_t i = 0; i < outputs.size(); ++i) from_host(outputs[i], out[i].values);
  }

  std::shared_ptr<const OpDefinition> op_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  const OpKernel* kernel_ = nullptr;
  std::shared_ptr<BoundOp> gradient_;
};

// An op as a component keeps it: bound to the backend and dtype of the tensors it meets, at the first call and again
// only when they change. A component binds it as soon as it knows them (Layer::build, Activation::prepare,
// Optimizer::attach), so that an op with no kernel there is refused when the model is built.
class OpHandle {
 public:
  OpHandle(std::shared_ptr<const OpDefinition> op) : op_(std::move(op)) {}  // NOLINT: converts what add_op returns
  const BoundOp& on(Backend& backend, DType dtype) {
    if (!bound_.bound() || backend_ != &backend || dtype_ != dtype) {
      bound_ = BoundOp(op_, backend, dtype);
      backend_ = &backend;
      dtype_ = dtype;
    }
    return bound_;
  }
  const BoundOp& on(const Tensor& like) { return on(like.backend(), like.dtype()); }
  const OpDefinition& definition() const { return *op_; }

 private:
  std::shared_ptr<const OpDefinition> op_;
  BoundOp bound_;
  const Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
};

}  // namespace nnplug
