// nnplug summary: each layer's output shape and parameter count, and the totals, for the model a spec names.
// With --input-shape the model is built for that per-sample shape without reading the data (e.g. the CIFAR
// project's CNN at 3x32x32); otherwise the data section is read for it. A saved model (.safetensors: train --save,
// a checkpoint, Python's or C++'s save) is shown as it was saved, for the input shape it keeps.

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/errors.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/precision.hpp"

namespace nnplug::cli {

int summary(const SummaryArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  if (args.spec.extension() == ".safetensors") {
    if (!args.overrides.empty() || !args.input_shape.empty())
      throw InvalidArgument(fmt::format("{}: a saved model's layers and input shape are its own; --set and --input-shape take a spec",
                                        args.spec.string()));
    load_plugin_folders(plugin_dirs, registry);
    fmt::print("{}{}", load_model(args.spec, registry).model->summary(args.expand), registry.describe_op_bindings());
    return 0;
  }
  Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  if (args.input_shape.empty()) {
    fmt::print("{}{}", build_experiment(spec, registry).model->summary(args.expand), registry.describe_op_bindings());
    return 0;
  }
  const Shape input = input_shape_option(args.input_shape);
  Params top(spec.where(), spec.json);
  auto backend = registry.create_backend(spec.section("backend", registry.best_backend()));
  const auto model = build_model(spec, registry, backend, spec_dtype(top), input, 0);
  fmt::print("{}{}", model->summary(args.expand), registry.describe_op_bindings());
  return 0;
}

}  // namespace nnplug::cli
