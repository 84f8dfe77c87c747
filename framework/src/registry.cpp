#include "nnplug/framework/registry.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/framework/familiar_names.hpp"
#include "nnplug/framework/name_list.hpp"
#include "nnplug/framework/grouped_optimizer.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/sequential_schedule.hpp"

namespace nnplug {

void Registry::Staging::require_declared(const std::string& key, const std::string& what) const {
  const auto& p = library_->provides();
  if (std::find(p.begin(), p.end(), key) == p.end())
    throw PluginError(fmt::format("{}: registers {}, which its info record does not declare (it declares: {})", library_->label(), what, name_list(p)));
}

template <typename T>
void Registry::Staging::add(Table<T>& table, PluginKind kind, const std::string& name, Factory<T> f) {
  require_declared(fmt::format("{}:{}", kind_name(kind), name), fmt::format("{} '{}'", kind_name(kind), name));
  table[name] = {{kind, name, library_, score_}, std::move(f)};
}

std::shared_ptr<const OpDefinition> Registry::Staging::add_op(OpSchema schema) {
  require_declared(fmt::format("op:{}", schema.name), fmt::format("op '{}'", schema.name));
  if (defines(schema.name)) throw PluginError(fmt::format("{}: defines op '{}' twice", library_->label(), schema.name));
  auto slot = registry_.op_slot(schema.name);
  ops_.emplace_back(slot, std::move(schema));
  return slot;
}

void Registry::Staging::add_kernel(OpKernelSpec spec, KernelFunction kernel) {
  if (!defines(spec.op))
    require_declared(fmt::format("kernel:{}/{}", spec.op, spec.backend),
                     fmt::format("a {} kernel for op '{}' (an op it does not define)", spec.backend, spec.op));
  if (!kernel) throw PluginError(fmt::format("{}: the {} kernel for op '{}' is empty", library_->label(), spec.backend, spec.op));
  kernels_.emplace_back(std::move(spec), std::move(kernel));
}

std::shared_ptr<const OpDefinition> Registry::Staging::op(const std::string& name) { return registry_.op_slot(name); }

const OpSchema* Registry::Staging::defines(const std::string& op) const {
  for (const auto& [slot, schema] : ops_)
    if (schema.name == op) return &schema;
  return nullptr;
}

void Registry::Staging::add_backend(const std::string& n, Factory<Backend> f) {
  add(tables_.backends, PluginKind::Backend, n, std::move(f));
}
void Registry::Staging::add_layer(const std::string& n, Factory<Layer> f) {
  add(tables_.layers, PluginKind::Layer, n, std::move(f));
}
void Registry::Staging::add_activation(const std::string& n, Factory<Activation> f) {
  add(tables_.activations, PluginKind::Activation, n, std::move(f));
}
void Registry::Staging::add_loss(const std::string& n, Factory<Loss> f) {
  add(tables_.losses, PluginKind::Loss, n, std::move(f));
}
void Registry::Staging::add_initializer(const std::string& n, Factory<Initializer> f) {
  add(tables_.initializers, PluginKind::Initializer, n, std::move(f));
}
void Registry::Staging::add_optimizer(const std::string& n, Factory<Optimizer> f) {
  add(tables_.optimizers, PluginKind::Optimizer, n, std::move(f));
}

void Registry::Staging::add_schedule(const std::string& n, Factory<Schedule> f) {
  add(tables_.schedules, PluginKind::Schedule, n, std::move(f));
}

void Registry::Staging::add_regularizer(const std::string& n, Factory<Regularizer> f) {
  add(tables_.regularizers, PluginKind::Regularizer, n, std::move(f));
}
void Registry::Staging::add_gradient_transform(const std::string& n, Factory<GradientTransform> f) {
  add(tables_.gradient_transforms, PluginKind::GradientTransform, n, std::move(f));
}

void Registry::Staging::add_communicator(const std::string& n, Factory<Communicator> f) {
  add(tables_.communicators, PluginKind::Communicator, n, std::move(f));
}

std::unique_ptr<Registry::Staging> Registry::stage(std::shared_ptr<const Library> library, double score) {
  return std::make_unique<Staging>(*this, std::move(library), score);
}

std::shared_ptr<OpDefinition> Registry::op_slot(const std::string& name) {
  auto& slot = ops_[name];
  if (!slot) slot = std::make_shared<OpDefinition>(name);
  return slot;
}

std::vector<std::shared_ptr<const OpDefinition>> Registry::ops() const {
  std::vector<std::shared_ptr<const OpDefinition>> out;
  for (const auto& [name, op] : ops_)
    if (op->defined()) out.push_back(op);
  return out;
}

std::shared_ptr<const OpDefinition> Registry::find_op(const std::string& name) const {
  const auto it = ops_.find(name);
  return it != ops_.end() && it->second->defined() ? it->second : nullptr;
}

std::string Registry::describe_op_bindings() const {
  std::string out;
  for (const auto& op : ops())
    for (const auto& [where, kernel] : op->bindings()) out += fmt::format("op {} on {}: {}\n", op->name(), where, kernel->describe());
  return out;
}

namespace {

std::vector<std::string> attribute_names(const OpSchema& schema) {
  std::vector<std::string> names;
  for (const auto& a : schema.attributes) names.push_back(a.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string dtype_list(const std::vector<DType>& dtypes) {
  std::vector<std::string> names;
  for (DType t : dtypes) names.emplace_back(dtype_name(t));
  return fmt::format("{}", fmt::join(names, ", "));
}

// What is wrong with a schema on its own, or "".
std::string schema_problem(const OpSchema& s) {
  if (s.name.empty()) return "defines an op without a name";
  if (s.inputs.empty()) return fmt::format("op '{}' has no inputs", s.name);
  if (s.dtypes.empty()) return fmt::format("op '{}' lists no dtypes", s.name);
  for (DType t : s.dtypes)
    if (t != DType::Float32 && t != DType::Float64) return fmt::format("op '{}' lists dtype {}; ops run float32 and float64", s.name, dtype_name(t));
  auto names = attribute_names(s);
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return fmt::format("op '{}' declares an attribute twice", s.name);
  if (!s.check_shapes.empty() && s.check_shapes.size() != s.inputs.size())
    return fmt::format("op '{}' gives {} check shapes for {} inputs", s.name, s.check_shapes.size(), s.inputs.size());
  return "";
}

}  // namespace

std::string Registry::op_problem(const Staging& staging, const std::vector<const Staging*>& batch,
                                 const std::set<std::string>& backend_types) const {
  // Every schema known in this load: those already committed, then those staged.
  std::map<std::string, const OpSchema*> schemas;
  for (const auto& [name, op] : ops_)
    if (op->defined()) schemas[name] = &op->schema();
  for (const Staging* s : batch)
    for (const auto& [slot, schema] : s->ops_) schemas.emplace(schema.name, &schema);
  const std::string label = staging.library_->label();
  for (const auto& [slot, schema] : staging.ops_) {
    if (auto problem = schema_problem(schema); !problem.empty()) return fmt::format("{}: {}", label, problem);
    // The chain of gradients must end: an op whose gradient leads back to it would bind forever.
    std::set<std::string> seen{schema.name};
    for (const OpSchema* at = &schema; !at->gradient.empty();) {
      const auto it = schemas.find(at->gradient);
      if (it == schemas.end())
        return fmt::format("{}: op '{}' declares gradient op '{}', which no plugin defines", label, at->name, at->gradient);
      if (!seen.insert(at->gradient).second)
        return fmt::format("{}: op '{}': its chain of gradient ops comes back to '{}'", label, schema.name, at->gradient);
      at = it->second;
    }
  }
  for (std::size_t i = 0; i < staging.kernels_.size(); ++i) {
    const OpKernelSpec& k = staging.kernels_[i].first;
    const std::string what = fmt::format("{}: its {} kernel for op '{}'", label, k.backend, k.op);
    const auto it = schemas.find(k.op);
    if (it == schemas.end()) return fmt::format("{} is for an op that no plugin defines", what);
    if (!backend_types.contains(k.backend))
      return fmt::format("{} is for backend '{}', which no plugin provides (backends: {})", what, k.backend,
                         fmt::join(backend_types, ", "));
    const OpSchema& op = *it->second;
    if (k.dtypes.empty()) return fmt::format("{} lists no dtypes", what);
    for (DType t : k.dtypes)
      if (std::find(op.dtypes.begin(), op.dtypes.end(), t) == op.dtypes.end())
        return fmt::format("{} runs {}, which the op does not define (its dtypes: {})", what, dtype_name(t), dtype_list(op.dtypes));
    if (k.attributes) {
      auto written_for = *k.attributes;
      std::sort(written_for.begin(), written_for.end());
      if (written_for != attribute_names(op))
        return fmt::format("{} was written for attributes ({}), the op declares ({})", what, fmt::join(written_for, ", "),
                           fmt::join(attribute_names(op), ", "));
    }
    auto same = [&](const OpKernelSpec& other) { return other.op == k.op && other.backend == k.backend; };
    for (std::size_t j = 0; j < i; ++j)
      if (same(staging.kernels_[j].first)) return fmt::format("{} is registered twice", what);
    if (const auto found = ops_.find(k.op); found != ops_.end())
      if (const OpKernel* other = found->second->find(OpKernel::Kind::Native, k.backend))
        return fmt::format("{} conflicts with the one from {}", what, other->origin);
  }
  return "";
}

void Registry::commit(Staging& s) {
  tables_.backends.merge(s.tables_.backends);
  tables_.layers.merge(s.tables_.layers);
  tables_.activations.merge(s.tables_.activations);
  tables_.losses.merge(s.tables_.losses);
  tables_.initializers.merge(s.tables_.initializers);
  tables_.optimizers.merge(s.tables_.optimizers);
  tables_.schedules.merge(s.tables_.schedules);
  tables_.regularizers.merge(s.tables_.regularizers);
  tables_.gradient_transforms.merge(s.tables_.gradient_transforms);
  tables_.communicators.merge(s.tables_.communicators);
  const std::string origin = s.library_->label();
  auto kernel = [&](OpKernel::Kind kind, std::string backend, std::vector<DType> dtypes) {
    auto k = std::make_unique<OpKernel>();
    k->kind = kind;
    k->backend = std::move(backend);
    k->dtypes = std::move(dtypes);
    k->origin = origin;
    k->library = s.library_;
    return k;
  };
  for (auto& [slot, schema] : s.ops_) {
    op_names_[schema.name] = {PluginKind::Op, schema.name, s.library_, s.score_};
    if (schema.composite) {
      auto k = kernel(OpKernel::Kind::Composite, "", schema.dtypes);
      k->run = schema.composite;
      slot->add_kernel(std::move(k));
    }
    if (schema.host_reference) {
      auto k = kernel(OpKernel::Kind::HostReference, "", schema.dtypes);
      k->run_on_host = schema.host_reference;
      slot->add_kernel(std::move(k));
    }
    slot->define(std::move(schema), origin, s.library_);
  }
  for (auto& [spec, function] : s.kernels_) {
    auto k = kernel(OpKernel::Kind::Native, spec.backend, spec.dtypes);
    k->run = std::move(function);
    op_slot(spec.op)->add_kernel(std::move(k));
  }
  s.ops_.clear();
  s.kernels_.clear();
}

void Registry::link_ops() {
  for (auto& [name, op] : ops_)
    if (op->defined() && !op->schema().gradient.empty()) op->set_gradient(op_slot(op->schema().gradient));
}

template <typename T>
std::shared_ptr<T> Registry::create(const Table<T>& table, PluginKind kind, const Params& params) const {
  const std::string name = params.type();
  if (name.empty())
    throw InvalidArgument(fmt::format("{}: names no {} (\"type\" is missing); available: {}", params.owner(), kind_name(kind), name_list(names(kind))));
  const auto it = table.find(name);
  if (it == table.end()) {
    const std::string why = why_unavailable(kind, name);
    throw PluginError(fmt::format("{}: {} {} '{}'{}; available: {}", params.owner(), why.empty() ? "unknown" : "unusable", kind_name(kind), name,
                                  why.empty() ? familiar_name_hint(name, names(kind)) : fmt::format(" ({})", why), name_list(names(kind))));
  }
  const auto& library = it->second.entry.library;
  std::unique_ptr<T> object;
  try {
    object = it->second.factory(params);
  } catch (const InvalidArgument& e) {
    // Already names the object and the field; a parameter written as PyTorch or Keras name it is pointed to nnplug's.
    throw with_familiar_hint(e, params.json());
  } catch (const Error&) {
    throw;  // already names the object and the field
  } catch (const std::exception& e) {
    throw PluginError(fmt::format("{}: creating {} '{}' failed: {}", library->label(), kind_name(kind), name, e.what()));
  }
  if (!object) throw PluginError(fmt::format("{}: factory for {} '{}' returned null", library->label(), kind_name(kind), name));
  // The deleter holds the library: its code (the destructor) must stay mapped until the object is gone.
  return std::shared_ptr<T>(object.release(), [library](T* p) { delete p; });
}

std::shared_ptr<Backend> Registry::create_backend(const Params& p) const { return create(tables_.backends, PluginKind::Backend, p); }
std::shared_ptr<Layer> Registry::create_layer(const Params& p) const { return create(tables_.layers, PluginKind::Layer, p); }
std::shared_ptr<Activation> Registry::create_activation(const Params& p) const {
  return create(tables_.activations, PluginKind::Activation, p);
}
std::shared_ptr<Loss> Registry::create_loss(const Params& p) const { return create(tables_.losses, PluginKind::Loss, p); }
std::shared_ptr<Initializer> Registry::create_initializer(const Params& p) const {
  return create(tables_.initializers, PluginKind::Initializer, p);
}
std::shared_ptr<Optimizer> Registry::create_optimizer(const Params& p) const {
  if (p.has("param_groups")) return std::make_shared<GroupedOptimizer>(p, *this);
  return create(tables_.optimizers, PluginKind::Optimizer, p);
}

std::shared_ptr<Schedule> Registry::create_schedule(const Params& p) const {
  if (p.type() == "sequential") return SequentialSchedule::create(p, *this);
  return create(tables_.schedules, PluginKind::Schedule, p);
}

std::shared_ptr<Regularizer> Registry::create_regularizer(const Params& p) const {
  return create(tables_.regularizers, PluginKind::Regularizer, p);
}
std::shared_ptr<GradientTransform> Registry::create_gradient_transform(const Params& p) const {
  return create(tables_.gradient_transforms, PluginKind::GradientTransform, p);
}

std::shared_ptr<Communicator> Registry::create_communicator(const Params& p) const {
  return create(tables_.communicators, PluginKind::Communicator, p);
}

std::vector<RegisteredName> Registry::entries() const {
  std::vector<RegisteredName> out;
  tables_.each([&out](const auto& table) {
    for (const auto& [name, slot] : table) out.push_back(slot.entry);
  });
  for (const auto& [name, entry] : op_names_) out.push_back(entry);
  return out;
}

std::vector<std::string> Registry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& e : entries())
    if (e.kind == kind) out.push_back(e.name);
  return out;
}

bool Registry::has(PluginKind kind, const std::string& name) const {
  for (const auto& e : entries())
    if (e.kind == kind && e.name == name) return true;
  return false;
}

void Registry::note_unusable(const std::string& provides, const std::string& why) {
  std::istringstream names(provides);
  for (std::string name; names >> name;) unusable_[name] = why;
}

std::string Registry::why_unavailable(PluginKind kind, const std::string& name) const {
  const auto it = unusable_.find(fmt::format("{}:{}", kind_name(kind), name));
  return it == unusable_.end() ? "" : it->second;
}

template <typename T>
std::string Registry::best(const Table<T>& table, PluginKind kind) {
  const RegisteredName* best = nullptr;
  for (const auto& [name, slot] : table)
    if (!best || slot.entry.score > best->score) best = &slot.entry;
  if (!best)
    throw PluginError(std::string("no ") + kind_name(kind) +
                      " plugin was found; run 'nnplug plugins' to see the search path and verdicts");
  return best->name;
}

std::string Registry::best_backend() const { return best(tables_.backends, PluginKind::Backend); }
std::string Registry::best_communicator() const { return best(tables_.communicators, PluginKind::Communicator); }

}  // namespace nnplug
