#include "test_support.hpp"

#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::test {

const Registry& registry() {
  static const Registry* loaded = [] {
    auto* r = new Registry;  // lives for the whole process: plugin objects may outlive any scope
    PluginLoader().load_all(*r);
    return r;
  }();
  return *loaded;
}

std::shared_ptr<Backend> cpu_backend() { return registry().create_backend(Params("test backend", "cpu")); }

Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype) {
  Tensor t = backend.empty(shape, dtype);
  from_host(t, values);
  return t;
}

std::vector<double> random_normal(std::size_t n, std::uint64_t seed) {
  Random random(seed);
  std::vector<double> v(n);
  for (double& x : v) x = random.normal();
  return v;
}

}  // namespace nnplug::test
