#include "nnplug/framework/registry.hpp"

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

RegisteredName Registry::Staging::declared(PluginKind kind, const std::string& name) const {
  const std::string key = std::string(kind_name(kind)) + ":" + name;
  const auto& p = library_->provides();
  if (std::find(p.begin(), p.end(), key) == p.end())
    throw PluginError(library_->label() + ": registers " + kind_name(kind) + " '" + name +
                      "', which its info record does not declare (it declares: " + join(p) + ")");
  return {kind, name, library_, score_};
}

void Registry::Staging::add_backend(const std::string& n, Factory<Backend> f) {
  backends_[n] = {declared(PluginKind::Backend, n), std::move(f)};
}
void Registry::Staging::add_layer(const std::string& n, Factory<Layer> f) {
  layers_[n] = {declared(PluginKind::Layer, n), std::move(f)};
}
void Registry::Staging::add_activation(const std::string& n, Factory<Activation> f) {
  activations_[n] = {declared(PluginKind::Activation, n), std::move(f)};
}
void Registry::Staging::add_loss(const std::string& n, Factory<Loss> f) {
  losses_[n] = {declared(PluginKind::Loss, n), std::move(f)};
}
void Registry::Staging::add_initializer(const std::string& n, Factory<Initializer> f) {
  initializers_[n] = {declared(PluginKind::Initializer, n), std::move(f)};
}
void Registry::Staging::add_optimizer(const std::string& n, Factory<Optimizer> f) {
  optimizers_[n] = {declared(PluginKind::Optimizer, n), std::move(f)};
}

std::unique_ptr<Registry::Staging> Registry::stage(std::shared_ptr<const Library> library, double score) {
  return std::make_unique<Staging>(std::move(library), score);
}

void Registry::commit(Staging& s) {
  backends_.merge(s.backends_);
  layers_.merge(s.layers_);
  activations_.merge(s.activations_);
  losses_.merge(s.losses_);
  initializers_.merge(s.initializers_);
  optimizers_.merge(s.optimizers_);
}

template <typename T>
std::shared_ptr<T> Registry::create(const Table<T>& table, PluginKind kind, const Params& params) const {
  const std::string name = params.type();
  if (name.empty())
    throw InvalidArgument(params.owner() + ": names no " + kind_name(kind) + " (\"type\" is missing); available: " +
                          join(names(kind)));
  const auto it = table.find(name);
  if (it == table.end())
    throw PluginError(params.owner() + ": unknown " + kind_name(kind) + " '" + name + "'; available: " +
                      join(names(kind)));
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

std::shared_ptr<Backend> Registry::create_backend(const Params& p) const { return create(backends_, PluginKind::Backend, p); }
std::shared_ptr<Layer> Registry::create_layer(const Params& p) const { return create(layers_, PluginKind::Layer, p); }
std::shared_ptr<Activation> Registry::create_activation(const Params& p) const {
  return create(activations_, PluginKind::Activation, p);
}
std::shared_ptr<Loss> Registry::create_loss(const Params& p) const { return create(losses_, PluginKind::Loss, p); }
std::shared_ptr<Initializer> Registry::create_initializer(const Params& p) const {
  return create(initializers_, PluginKind::Initializer, p);
}
std::shared_ptr<Optimizer> Registry::create_optimizer(const Params& p) const {
  return create(optimizers_, PluginKind::Optimizer, p);
}

std::vector<RegisteredName> Registry::entries() const {
  std::vector<RegisteredName> out;
  auto add = [&out](const auto& table) {
    for (const auto& [name, slot] : table) out.push_back(slot.entry);
  };
  add(backends_), add(layers_), add(activations_), add(losses_), add(initializers_), add(optimizers_);
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

std::string Registry::best_backend() const {
  const RegisteredName* best = nullptr;
  for (const auto& [name, slot] : backends_)
    if (!best || slot.entry.score > best->score) best = &slot.entry;
  if (!best) throw PluginError("no backend plugin was found; run 'nnplug plugins' to see the search path and verdicts");
  return best->name;
}

}  // namespace nnplug
