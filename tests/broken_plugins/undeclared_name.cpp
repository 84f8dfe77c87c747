// A plugin that registers a name its info record does not declare.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("undeclared_name", "1.0.0", "activation:declared", 0) {
  registrar.add_activation("sneaky", [](const nnplug::Params&) {
    return std::make_unique<nnplug::PointwiseActivation>("sneaky", nnplug::Pointwise::Relu);
  });
}
