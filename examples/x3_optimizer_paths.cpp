// Experiment X3 (seed 004): the paths of SGD (lr 0.95), momentum (0.1, 0.9), AdaGrad (1.5) and Adam (0.3) on
// f(x, y) = x^2 / 20 + y^2 from (-7, 2), 30 steps each, printed as CSV (optimizer, step, x, y): the position
// before each update, as the chapter plots them. AdaGrad uses the chapter's eps 1e-7.
//   usage: x3_optimizer_paths > paths.csv
#include <cstdio>
#include <utility>

#include "nnplug/framework/plugin_loader.hpp"

int main() {
  using namespace nnplug;
  Registry registry;
  PluginLoader().load_all(registry);
  auto backend = registry.create_backend(Params("backend", "cpu"));
  const std::pair<const char*, Params::Json> optimizers[] = {
      {"SGD", {{"type", "sgd"}, {"lr", 0.95}}},
      {"Momentum", {{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}},
      {"AdaGrad", {{"type", "adagrad"}, {"lr", 1.5}, {"eps", 1e-7}}},
      {"Adam", {{"type", "adam"}, {"lr", 0.3}}}};
  std::printf("optimizer,step,x,y\n");
  for (const auto& [label, spec] : optimizers) {
    Parameter p{"xy", backend->empty(Shape{2}, DType::Float64), backend->empty(Shape{2}, DType::Float64)};
    from_host(p.value, std::vector<double>{-7.0, 2.0});
    auto optimizer = registry.create_optimizer(Params("optimizer", spec));
    optimizer->attach({&p});
    for (int step = 0; step <= 30; ++step) {
      const auto xy = to_host<double>(p.value);
      std::printf("%s,%d,%.6f,%.6f\n", label, step, xy[0], xy[1]);
      from_host(p.grad, std::vector<double>{xy[0] / 10.0, 2.0 * xy[1]});  // grad f = (x / 10, 2 y)
      optimizer->step();
    }
  }
  return 0;
}
