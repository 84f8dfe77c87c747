#include "nnplug/framework/registry.hpp"

#include <sstream>

#include <algorithm>

#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug {

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}
}  // namespace

template <typename T>
void Registry::Staging::add(Table<T>& table, PluginKind kind, const std::string& name, Factory<T> f) {
  const std::string key = std::string(kind_name(kind)) + ":" + name;
  const auto& p = library_->provides();
  if (std::find(p.begin(), p.end(), key) == p.end())
    throw PluginError(library_->label() + ": registers " + kind_name(kind) + " '" + name +
                      "', which its info record does not declare (it declares: " + join(p) + ")");
  table[name] = {{kind, name, library_, score_}, std::move(f)};
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
  return std::make_unique<Staging>(std::move(library), score);
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
}

template <typename T>
std::shared_ptr<T> Registry::create(const Table<T>& table, PluginKind kind, const Params& params) const {
  const std::string name = params.type();
  if (name.empty())
    throw InvalidArgument(params.owner() + ": names no " + kind_name(kind) + " (\"type\" is missing); available: " +
                          join(names(kind)));
  const auto it = table.find(name);
  if (it == table.end()) {
    const std::string why = why_unavailable(kind, name);
    throw PluginError(params.owner() + ": " + (why.empty() ? "unknown " : "unusable ") + kind_name(kind) + " '" + name + "'" +
                      (why.empty() ? "" : " (" + why + ")") + "; available: " + join(names(kind)));
  }
  const auto& library = it->second.entry.library;
  std::unique_ptr<T> object;
  try {
    object = it->second.factory(params);
  } catch (const Error&) {
    throw;  // already names the object and the field
  } catch (const std::exception& e) {
    throw PluginError(library->label() + ": creating " + kind_name(kind) + " '" + name + "' failed: " + e.what());
  }
  if (!object) throw PluginError(library->label() + ": factory for " + kind_name(kind) + " '" + name + "' returned null");
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
  return create(tables_.optimizers, PluginKind::Optimizer, p);
}

std::shared_ptr<Schedule> Registry::create_schedule(const Params& p) const {
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
  const auto it = unusable_.find(std::string(kind_name(kind)) + ":" + name);
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
