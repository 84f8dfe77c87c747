// nnplug evaluate MODEL: loads a model saved by `nnplug train --save` (its plugins are checked first) and scores
// it on the test set its spec names (the validation set when the spec has no test set).
#include <cstdio>

#include "commands.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug::cli {

int evaluate(const EvaluateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  std::shared_ptr<Backend> backend;
  if (!args.backend.empty()) backend = registry.create_backend(Params("--backend", args.backend));
  LoadedModel loaded = load_model(args.model, registry, backend);
  Experiment ex;
  const auto seed = static_cast<std::uint64_t>(loaded.spec.json.value("seed", 0));
  load_data(loaded.spec, ex, seed, std::nullopt);
  const Dataset& data = ex.test.size() ? ex.test : ex.validation;
  if (!data.size()) throw InvalidArgument(args.model.string() + ": its spec names no test or validation data to evaluate on");
  Trainer trainer(*loaded.model, registry.create_loss(loaded.spec.section("loss")), nullptr);
  const Scores s = trainer.evaluate(data, args.batch_size);
  std::printf("%s: loss %.4f  accuracy %.4f  (%lld %s samples)\n", args.model.c_str(), s.loss, s.accuracy,
              static_cast<long long>(data.size()), ex.test.size() ? "test" : "validation");
  return 0;
}

}  // namespace nnplug::cli
