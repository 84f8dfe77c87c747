// A plugin whose register call throws.
#include <stdexcept>

#include "nnplug/plugin.hpp"

NNPLUG_PLUGIN("register_throws", "1.0.0", "activation:thrower", 0) {
  (void)registrar;
  throw std::runtime_error("cannot open my lookup table");
}
