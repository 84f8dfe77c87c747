// A plugin whose probe crashes: the host must survive it and say which plugin it was probing.
#include "nnplug/plugin.hpp"
#include "nnplug/pointwise_activation.hpp"

NNPLUG_PLUGIN("probe_crashes", "1.0.0", "activation:never_loaded", 0) {
  nnplug::register_pointwise(registrar, "never_loaded", nnplug::Pointwise::Relu);
}

NNPLUG_PLUGIN_PROBE() {
  volatile int* nowhere = nullptr;
  *nowhere = 1;  // SIGSEGV
  return {1.0, ""};
}
