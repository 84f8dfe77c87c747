// A plugin whose probe says it cannot run here (as a GPU backend on a machine without a GPU does).
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("probe_unusable", "1.0.0", "activation:needs_hardware", 0) {
  nnplug::register_pointwise(registrar, "needs_hardware", nnplug::Pointwise::Relu);
}

NNPLUG_PLUGIN_PROBE() { return {0.0, "no such device on this machine"}; }
