#pragma once
// Registry: the plugin objects the host can create, by kind and name. Filled by PluginLoader; every object it
// creates holds a shared handle to the library it came from, so a library is never unloaded while its objects live.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nnplug/plugin.hpp"
#include "nnplug/registrar.hpp"

namespace nnplug {

class Library;  // a loaded plugin library, see plugin_loader.hpp

// One name a library registered.
struct RegisteredName {
  PluginKind kind;
  std::string name;
  std::shared_ptr<const Library> library;
  double score = 1.0;  // the library's probe score; picks the default backend
};

class Registry {
 public:
  // Creates the object that params.type() names. Throws PluginError listing the names of that kind when the name
  // is unknown, and wraps a plugin's failure as "plugin NAME@VERSION (PATH): what".
  std::shared_ptr<Backend> create_backend(const Params& params) const;
  std::shared_ptr<Layer> create_layer(const Params& params) const;
  std::shared_ptr<Activation> create_activation(const Params& params) const;
  std::shared_ptr<Loss> create_loss(const Params& params) const;
  std::shared_ptr<Initializer> create_initializer(const Params& params) const;
  std::shared_ptr<Optimizer> create_optimizer(const Params& params) const;
  std::shared_ptr<Schedule> create_schedule(const Params& params) const;
  std::shared_ptr<Regularizer> create_regularizer(const Params& params) const;
  std::shared_ptr<GradientTransform> create_gradient_transform(const Params& params) const;
  std::shared_ptr<Communicator> create_communicator(const Params& params) const;

  bool has(PluginKind kind, const std::string& name) const;
  std::vector<std::string> names(PluginKind kind) const;
  std::vector<RegisteredName> entries() const;
  // The usable backend with the highest probe score ("cpu" on a machine without a GPU).
  std::string best_backend() const;
  // The usable communicator with the highest probe score ("mpi" under mpirun, else "local").
  std::string best_communicator() const;

  // Names ("kind:name", as a plugin's info record declares them) whose plugin was found but is unusable here,
  // with the reason; asking for one says why it is missing.
  void note_unusable(const std::string& provides, const std::string& why);
  // Why a name is not available ("" when no plugin declared it).
  std::string why_unavailable(PluginKind kind, const std::string& name) const;

  // The ops plugins defined, by name; one of them, or null.
  std::vector<std::shared_ptr<const OpDefinition>> ops() const;
  std::shared_ptr<const OpDefinition> find_op(const std::string& name) const;
  // One line per plugin op bound so far, per backend and dtype, with the kernel it runs: "op scale_cube on cpu
  // float32: cpu kernel (float32, float64) from plugin ...". Empty when no plugin op is bound.
  std::string describe_op_bindings() const;
  // The op of that name, defined or not yet (a plugin may name an op another plugin defines).
  std::shared_ptr<OpDefinition> op_slot(const std::string& name);

  // Used by the loader: the registrar a library's register call fills. It refuses names the library did not
  // declare in its info record, and nothing it holds is visible until commit().
  class Staging;
  std::unique_ptr<Staging> stage(std::shared_ptr<const Library> library, double score);
  // What is wrong with the ops and kernels a library staged ("" when nothing is), given every library staged in
  // the same load (an op may come from any of them) and the backend types that any plugin found declares.
  std::string op_problem(const Staging& staging, const std::vector<const Staging*>& batch,
                         const std::set<std::string>& backend_types) const;
  void commit(Staging& staging);
  // Once every library is committed: links each op to its gradient op.
  void link_ops();

 private:
  // entry (which holds the library) is declared first so that it is destroyed last: the factory's code lives
  // in the library.
  template <typename T>
  struct Slot {
    RegisteredName entry;
    Factory<T> factory;
  };
  template <typename T>
  using Table = std::map<std::string, Slot<T>>;
  // One table per kind, shared by the registry and by a library's staging area.
  struct Tables {
    Table<Backend> backends;
    Table<Layer> layers;
    Table<Activation> activations;
    Table<Loss> losses;
    Table<Initializer> initializers;
    Table<Optimizer> optimizers;
    Table<Schedule> schedules;
    Table<Regularizer> regularizers;
    Table<GradientTransform> gradient_transforms;
    Table<Communicator> communicators;
    // Calls f(table) for every table.
    template <typename F>
    void each(F&& f) const {
      f(backends), f(layers), f(activations), f(losses), f(initializers), f(optimizers), f(schedules), f(regularizers),
          f(gradient_transforms), f(communicators);
    }
  };
  template <typename T>
  static std::string best(const Table<T>& table, PluginKind kind);
  template <typename T>
  std::shared_ptr<T> create(const Table<T>& table, PluginKind kind, const Params& params) const;

  std::map<std::string, std::string> unusable_;  // "kind:name" -> why
  Tables tables_;
  std::map<std::string, std::shared_ptr<OpDefinition>> ops_;  // every op named, defined or not
  std::map<std::string, RegisteredName> op_names_;            // the defined ones, by the library that defines them

  friend class Staging;
};

class Registry::Staging final : public Registrar {
 public:
  Staging(Registry& registry, std::shared_ptr<const Library> library, double score)
      : registry_(registry), library_(std::move(library)), score_(score) {}
  void add_backend(const std::string& name, Factory<Backend> f) override;
  void add_layer(const std::string& name, Factory<Layer> f) override;
  void add_activation(const std::string& name, Factory<Activation> f) override;
  void add_loss(const std::string& name, Factory<Loss> f) override;
  void add_initializer(const std::string& name, Factory<Initializer> f) override;
  void add_optimizer(const std::string& name, Factory<Optimizer> f) override;
  void add_schedule(const std::string& name, Factory<Schedule> f) override;
  void add_regularizer(const std::string& name, Factory<Regularizer> f) override;
  void add_gradient_transform(const std::string& name, Factory<GradientTransform> f) override;
  void add_communicator(const std::string& name, Factory<Communicator> f) override;
  std::shared_ptr<const OpDefinition> add_op(OpSchema schema) override;
  void add_kernel(OpKernelSpec spec, KernelFunction kernel) override;
  std::shared_ptr<const OpDefinition> op(const std::string& name) override;

 private:
  void require_declared(const std::string& key, const std::string& what) const;
  template <typename T>
  void add(Table<T>& table, PluginKind kind, const std::string& name, Factory<T> f);
  // The schema of an op this library defines, or null.
  const OpSchema* defines(const std::string& op) const;
  Registry& registry_;
  std::shared_ptr<const Library> library_;
  double score_;
  Tables tables_;
  std::vector<std::pair<std::shared_ptr<OpDefinition>, OpSchema>> ops_;
  std::vector<std::pair<OpKernelSpec, KernelFunction>> kernels_;
  friend class Registry;
};

}  // namespace nnplug
