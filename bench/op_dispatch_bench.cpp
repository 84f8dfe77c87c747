// What running a plugin op costs beyond its kernel: per call, a built-in op through Backend::run, a plugin op bound
// once (BoundOp, as components keep it), and the same plugin op looked up and bound on every call (what binding
// saves). Each runs one element-wise pass on the CPU backend over a few elements, so the differences are dispatch, not work.
//   usage: op_dispatch_bench OP_PLUGIN_DIR [--elements N] [--calls N]
// OP_PLUGIN_DIR holds a plugin defining op 'scale_cube' with a cpu kernel: build/tests/op_plugins/none.
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "best_per_call.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/framework/plugin_loader.hpp"

using namespace nnplug;

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: op_dispatch_bench OP_PLUGIN_DIR [--elements N] [--calls N]\n");
    return 2;
  }
  std::int64_t elements = 64;
  int calls = 200000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--elements") elements = std::atoll(argv[i + 1]);
    else if (flag == "--calls") calls = std::atoi(argv[i + 1]);
  }
  Registry registry;
  PluginLoader loader;
  loader.add_directory(argv[1]);
  loader.load_all(registry);
  const auto op = registry.find_op("scale_cube");
  if (!op) {
    fmt::print(stderr, "no plugin in {} defines op 'scale_cube'\n", argv[1]);
    return 1;
  }
  auto cpu = registry.create_backend(Params("bench", "cpu"));
  Tensor x = cpu->empty(Shape{elements}, DType::Float32), y = cpu->empty(Shape{elements}, DType::Float32);
  cpu->run(op::Fill{x, 0.5});
  const BoundOp bound(op, *cpu, DType::Float32);

  const double builtin = best_per_call<std::nano>([&] { cpu->run(op::Multiply{x, x, y}); }, calls);
  const double plugin = best_per_call<std::nano>([&] { bound({x}, {y}, {{"scale", 1.0}}); }, calls);
  const double looked_up = best_per_call<std::nano>([&] { BoundOp(registry.find_op("scale_cube"), *cpu, DType::Float32)({x}, {y}, {{"scale", 1.0}}); }, calls);
  fmt::print("{} float32 elements, per call (best of 5 x {} calls):\n", elements, calls);
  fmt::print("  built-in op (multiply)              {:8.0f} ns\n", builtin);
  fmt::print("  plugin op, bound once               {:8.0f} ns\n", plugin);
  fmt::print("  plugin op, looked up on every call  {:8.0f} ns\n", looked_up);
  return 0;
}
