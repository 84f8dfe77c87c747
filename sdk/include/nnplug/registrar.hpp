#pragma once
// Registrar: what a plugin's register call receives from the host. The plugin adds one factory per object it
// provides; the host checks each name against the plugin's info record ("provides") before accepting it.
#include <functional>
#include <memory>
#include <string>

#include "nnplug/activation.hpp"
#include "nnplug/backend.hpp"
#include "nnplug/communicator.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/export.hpp"
#include "nnplug/initializer.hpp"
#include "nnplug/layer.hpp"
#include "nnplug/loss.hpp"
#include "nnplug/optimizer.hpp"
#include "nnplug/params.hpp"
#include "nnplug/regularizer.hpp"
#include "nnplug/schedule.hpp"
#include "nnplug/gradient_transform.hpp"

namespace nnplug {

// The kinds of plugin object.
enum class PluginKind {
  Backend, Layer, Activation, Loss, Initializer, Optimizer, Schedule, Regularizer, GradientTransform, Communicator, Op
};

inline const char* kind_name(PluginKind k) {
  switch (k) {
    case PluginKind::Backend: return "backend";
    case PluginKind::Layer: return "layer";
    case PluginKind::Activation: return "activation";
    case PluginKind::Loss: return "loss";
    case PluginKind::Initializer: return "initializer";
    case PluginKind::Optimizer: return "optimizer";
    case PluginKind::Schedule: return "schedule";
    case PluginKind::Regularizer: return "regularizer";
    case PluginKind::GradientTransform: return "gradient_transform";
    case PluginKind::Communicator: return "communicator";
    case PluginKind::Op: return "op";
  }
  return "?";
}

// A factory builds an object from its parameters; it must read every parameter it takes through Params (and call
// check_unused() last), so that unknown parameters are reported.
template <typename T>
using Factory = std::function<std::unique_ptr<T>(const Params&)>;

class NNPLUG_API Registrar {
 public:
  virtual ~Registrar() = default;
  virtual void add_backend(const std::string& name, Factory<Backend> factory) = 0;
  virtual void add_layer(const std::string& name, Factory<Layer> factory) = 0;
  virtual void add_activation(const std::string& name, Factory<Activation> factory) = 0;
  virtual void add_loss(const std::string& name, Factory<Loss> factory) = 0;
  virtual void add_initializer(const std::string& name, Factory<Initializer> factory) = 0;
  virtual void add_optimizer(const std::string& name, Factory<Optimizer> factory) = 0;
  virtual void add_schedule(const std::string& name, Factory<Schedule> factory) = 0;
  virtual void add_regularizer(const std::string& name, Factory<Regularizer> factory) = 0;
  virtual void add_gradient_transform(const std::string& name, Factory<GradientTransform> factory) = 0;
  virtual void add_communicator(const std::string& name, Factory<Communicator> factory) = 0;

  // Defines an op ("op:NAME" in the info record) and returns it, for the plugin's components to bind. Its
  // composite and host reference, if the schema has them, become kernels of the op.
  virtual std::shared_ptr<const OpDefinition> add_op(OpSchema schema) = 0;
  // Adds a native kernel to an op this plugin defines, or to another plugin's op when the info record declares
  // "kernel:OP/BACKEND". Checked once every plugin is loaded: the op exists, the backend type is one that some plugin
  // provides, the dtypes are among the op's, the attributes are the op's.
  virtual void add_kernel(OpKernelSpec spec, KernelFunction kernel) = 0;
  // An op by name, defined by this plugin or any other (once all are loaded; binding an op no plugin defined fails).
  virtual std::shared_ptr<const OpDefinition> op(const std::string& name) = 0;
};

}  // namespace nnplug
