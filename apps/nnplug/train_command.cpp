// nnplug train: build everything a spec names from plugins, train with a progress bar, report the test score.
#include <cstdio>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/training_monitor.hpp"

namespace nnplug::cli {

int train(const TrainArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  for (const auto& w : loader.warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());

  Spec spec = load_spec(args.spec);
  for (const auto& o : args.overrides) spec.set(o);
  Overrides overrides;
  overrides.backend = args.backend;
  overrides.epochs = args.epochs;
  if (args.batch_size) overrides.batch_size = *args.batch_size;
  if (args.limit_train) overrides.limit_train = *args.limit_train;
  Experiment ex = build_experiment(spec, registry, overrides);
  ex.fit.progress = args.progress;

  std::printf("backend: %s (%s)\n", ex.backend->name().c_str(), ex.backend->device().c_str());
  std::printf("data: %lld training, %lld validation, %lld test samples\n", static_cast<long long>(ex.train.size()),
              static_cast<long long>(ex.validation.size()), static_cast<long long>(ex.test.size()));
  std::printf("%s\n", ex.model->summary().c_str());
  std::fflush(stdout);

  if (!args.run_dir.empty()) {
    // A run folder: everything `nnplug report` draws. The spec's own callbacks still write where they say.
    std::filesystem::create_directories(args.run_dir);
    write_text_atomically(args.run_dir / "spec.json", spec.json.dump(2) + "\n", "the spec");
    ex.fit.callbacks.push_back(std::make_shared<HistoryWriter>(args.run_dir / "history.csv"));
    ex.fit.callbacks.push_back(std::make_shared<TrainingMonitor>(args.run_dir / "monitor.jsonl"));
  }
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  if (!args.resume.empty()) {
    ex.fit.initial_epoch = restore_checkpoint(args.resume, spec, *ex.model, *ex.optimizer);
    std::printf("resumed from %s after epoch %d\n", args.resume.c_str(), ex.fit.initial_epoch);
  }
  trainer.fit(ex.train, ex.validation.size() ? &ex.validation : nullptr, ex.fit, [&](const EpochRecord& r) {
    std::printf("epoch %d/%d  loss %.4f  accuracy %.4f", r.epoch, ex.fit.epochs, r.train.loss, r.train.accuracy);
    if (r.has_validation) std::printf("  val_loss %.4f  val_accuracy %.4f", r.validation.loss, r.validation.accuracy);
    std::printf("  (%.1f s, %.0f samples/s)\n", r.seconds, static_cast<double>(ex.train.size()) / r.seconds);
    std::fflush(stdout);
  });
  if (ex.test.size()) {
    const Scores test = trainer.evaluate(ex.test, ex.fit.batch_size);
    std::printf("test: loss %.4f  accuracy %.4f\n", test.loss, test.accuracy);
  }
  if (!args.run_dir.empty()) {
    const Dataset& scored = ex.test.size() ? ex.test : ex.validation;
    if (scored.size()) {
      const auto p = class_probabilities(trainer.predict(scored, ex.fit.batch_size), ex.model->output_shape().numel(), scored.num_classes,
                                         ex.loss->output_link());
      auto metrics = evaluation_json(evaluate_scores(p, scored.labels, scored.num_classes, trainer.evaluate(scored, ex.fit.batch_size).loss, 5),
                                     ex.class_names);
      metrics["set"] = ex.test.size() ? "test" : "validation";
      write_text_atomically(args.run_dir / "metrics.json", metrics.dump(2) + "\n", "the metrics");
    }
    save_model(args.run_dir / "model.safetensors", spec, *ex.model, registry);
    std::printf("wrote the run to %s (report: nnplug report %s)\n", args.run_dir.c_str(), args.run_dir.c_str());
  }
  if (!args.save.empty()) {
    save_model(args.save, spec, *ex.model, registry);
    std::printf("saved the model to %s\n", args.save.c_str());
  }
  return 0;
}

}  // namespace nnplug::cli
