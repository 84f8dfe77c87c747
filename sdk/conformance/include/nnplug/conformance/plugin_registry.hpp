#pragma once
// The plugins a conformance test runs against: loaded once per process from the usual search path, so a
// plugin under test is found through NNPLUG_PLUGIN_PATH (set it to the folder the plugin is built in) and the
// CPU backend, the reference, from the installed nnplug.
#include <memory>
#include <optional>
#include <string>

#include "nnplug/framework/registry.hpp"

namespace nnplug::conformance {

const Registry& registry();
// The CPU backend: the reference every check runs on, and every other backend is compared with.
std::shared_ptr<Backend> reference_backend();
// Why no backend of this name can be created here (its plugin's probe says unusable, or no plugin provides it);
// nothing when it can. Suites of a device backend skip with this reason on machines without the device.
std::optional<std::string> backend_unavailable(const std::string& name);

}  // namespace nnplug::conformance
