#pragma once
// Shared by the test suites: the registry loaded from the build tree's plugin folder (as a user's program
// finds it), backends, and host-side helpers.
#include <cstdint>
#include <memory>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace nnplug::test {

// Loaded once per process.
const Registry& registry();
std::shared_ptr<Backend> cpu_backend();

// A tensor on the backend holding these values.
Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype = DType::Float64);
// n values drawn from N(0, 1) with this seed.
std::vector<double> random_normal(std::size_t n, std::uint64_t seed);

}  // namespace nnplug::test
