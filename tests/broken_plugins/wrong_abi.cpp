// A plugin built against a future ABI: its info record says version 999.
#include "nnplug/plugin.hpp"

extern "C" NNPLUG_API const nnplug_info_record* nnplug_plugin_info() {
  static const nnplug_info_record record{sizeof(nnplug_info_record), 999, "wrong_abi", "1.0.0",
                                         "activation:wrong_abi", 0, NNPLUG_BUILD_FINGERPRINT, NNPLUG_COMPILER};
  return &record;
}
extern "C" NNPLUG_API int nnplug_plugin_register(nnplug::Registrar*, char*, std::size_t) { return 0; }
