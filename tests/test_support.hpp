#pragma once
// Shared by the test suites: the registry and the CPU backend of the conformance kit (plugins loaded from the
// build tree's plugin folder, as a user's program finds them), and host-side helpers.
#include <cstdint>
#include <memory>
#include <vector>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/conformance/plugin_registry.hpp"

namespace nnplug::test {

using conformance::random_normal;
using conformance::registry;
inline std::shared_ptr<Backend> cpu_backend() { return conformance::reference_backend(); }

// A tensor on the backend holding these values.
Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype = DType::Float64);

}  // namespace nnplug::test
