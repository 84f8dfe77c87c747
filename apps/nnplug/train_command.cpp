// nnplug train: build everything a spec names from plugins, train with a progress bar, report the test score.
// Started by mpirun, every rank runs this same command and trains its share of each global batch; rank 0 alone
// prints and writes files.
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/graph_spec.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/precision.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/training_monitor.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug::cli {

namespace {

// How many values each feature column missed among the training samples, and what fills them (categorical columns'
// gaps are rows of zeros, not counted here).
void print_missing_values(const MissingValueFiller& filler, const ColumnNames& columns, std::int64_t samples) {
  std::vector<std::string> missing;
  const auto& counts = filler.missing_in_fit();
  for (std::size_t input = 0, f = 0; input < counts.size(); ++f) {
    const std::size_t category_count = f < columns.categories.size() ? columns.categories[f].size() : 0;
    if (category_count == 0 && counts[input] > 0)
      missing.push_back(filler.strategy() == "constant" ? fmt::format("{} {}", columns.feature_name(f), counts[input])
                                                        : fmt::format("{} {} ({:g})", columns.feature_name(f), counts[input], filler.values()[input]));
    input += std::max<std::size_t>(category_count, 1);
  }
  const std::string fill = filler.strategy() == "constant"        ? fmt::format("{:g}", filler.values().empty() ? 0.0 : filler.values().front())
                           : filler.strategy() == "most_frequent" ? "each column's most frequent value"
                                                                  : fmt::format("each column's {}", filler.strategy());
  fmt::print("missing values among the {} training samples, filled with {}: {}\n", static_cast<long long>(samples), fill,
             missing.empty() ? std::string("none") : Params::shortened(fmt::format("{}", fmt::join(missing, "; "))));
}

int train_on(const TrainArgs& args, Registry& registry, const Spec& spec, const std::shared_ptr<Communicator>& shared) {
  Communicator& communicator = *shared;
  const bool lead = communicator.rank() == 0;
  const bool distributed = communicator.size() > 1;
  require_same_start(communicator, "the spec and the training options (--set, --epochs, --batch-size, ...)",
                     fmt::format("{} --backend {} --epochs {} --batch-size {} --limit-train {}", spec.json.dump(), args.backend,
                                 args.epochs.value_or(-1), args.batch_size.value_or(-1), args.limit_train.value_or(-1)),
                     registry);
  Overrides overrides;
  overrides.backend = args.backend;
  overrides.epochs = args.epochs;
  if (args.batch_size) overrides.batch_size = *args.batch_size;
  if (args.limit_train) overrides.limit_train = *args.limit_train;
  Experiment ex = build_experiment(spec, registry, overrides);
  if (distributed) require_same_data_on_every_rank(communicator, {&ex.train, &ex.validation, &ex.test});
  ex.fit.progress = args.progress && lead;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);  // before the banner: the optimizer binds its plugin ops here
  if (lead && !args.save.empty()) require_writable_destination(args.save, "the model");  // now, not after the training

  if (lead) {
    fmt::print("backend: {} ({})\n", ex.backend->name().c_str(), ex.backend->device().c_str());
    std::vector<std::string> plugin_ops;
    for (const auto& op : registry.ops())
      if (!op->bindings().empty()) plugin_ops.push_back(op->name());
    fmt::print("{}\n", describe_precision(ex.precision, ex.model->dtype(), plugin_ops));
    if (distributed)
      fmt::print("data-parallel: {} ranks over {} ({}); batch_size {} is the global batch, about {} samples per rank{}\n",
                 communicator.size(), communicator.name().c_str(), communicator.describe().c_str(), static_cast<long long>(ex.fit.batch_size),
                 static_cast<long long>(ex.fit.batch_size / communicator.size()),
                 ex.gradient_compression == Compression::None ? "" : fmt::format("; gradients sent as {}", compression_name(ex.gradient_compression)));
    if (ex.fit.gradient_accumulation_steps > 1)
      fmt::print("gradient accumulation: an optimizer step every {} batches of {}, of the mean loss over their {} samples\n",
                 static_cast<long long>(ex.fit.gradient_accumulation_steps), static_cast<long long>(ex.fit.batch_size),
                 static_cast<long long>(ex.fit.gradient_accumulation_steps * ex.fit.batch_size));
    fmt::print("data: {} training, {} validation, {} test samples\n",
               static_cast<long long>(ex.train.size()), static_cast<long long>(ex.validation.size()), static_cast<long long>(ex.test.size()));
    if (!ex.text.empty())
      fmt::print("texts: a vocabulary of {} indices fitted on the training texts, each text read as {} values ({})\n", ex.text.vocabulary().size(),
                 ex.text.sample_shape().str(), text_output_name(ex.text.settings().output));
    if (const auto& classes = ex.model->column_names().classes; !classes.empty())
      fmt::print("classes: the label column's names, sorted: {}\n", Params::shortened(fmt::format("{}", fmt::join(classes, ", "))));
    if (const ColumnNames& columns = ex.model->column_names(); !columns.categories.empty()) {
      std::vector<std::string> encoded;
      for (std::size_t f = 0; f < columns.categories.size(); ++f)
        if (!columns.categories[f].empty()) encoded.push_back(fmt::format("{} ({})", columns.feature_name(f), fmt::join(columns.categories[f], ", ")));
      fmt::print("categories, one-hot encoded in their columns' places: {}; {} inputs in all\n",
                 Params::shortened(fmt::format("{}", fmt::join(encoded, "; "))), static_cast<long long>(columns.width()));
    }
    if (const auto* filler = ex.model->input_preprocessing().missing_value_filler())
      print_missing_values(*filler, ex.model->column_names(), ex.train.size());
    fmt::print("{}{}\n", ex.model->summary(), registry.describe_op_bindings());
    std::fflush(stdout);
  }

  if (!args.run_dir.empty()) {
    // A run folder: everything `nnplug report` draws. The spec's own callbacks still write where they say.
    if (lead) {
      std::error_code ec;
      std::filesystem::create_directories(args.run_dir, ec);
      if (ec) throw IoError(fmt::format("{}: the run folder cannot be made: {}", args.run_dir.string(), ec.message()));
      // Block files inlined: the folder's spec stands on its own.
      write_text_atomically(args.run_dir / "spec.json", with_block_files_inlined(spec).dump(2) + "\n", "the spec");
    }
    ex.fit.callbacks.push_back(std::make_shared<HistoryWriter>(args.run_dir / "history.csv"));
    ex.fit.callbacks.push_back(std::make_shared<TrainingMonitor>(args.run_dir / "monitor.jsonl"));
  }
  if (!args.resume.empty()) {
    const RestoredCheckpoint restored = restore_checkpoint(args.resume, spec, *ex.model, *ex.optimizer, ex.fit.callbacks);
    ex.fit.initial_epoch = restored.epoch;
    if (lead) fmt::print("resumed from {} after epoch {}\n", args.resume.c_str(), ex.fit.initial_epoch);
    if (lead && ex.fit.initial_epoch >= ex.fit.epochs)
      fmt::print("nothing to train: the checkpoint has trained {} epochs and the run asks for {} (raise --epochs to go on)\n",
                 ex.fit.initial_epoch, ex.fit.epochs);
    if (lead && restored.precision != ex.precision)
      fmt::print("note: the checkpoint was trained in {} precision and this run goes on in {}: its weights and optimizer state are "
                 "float32, so nothing is lost, but the steps after it round differently\n",
                 restored.precision, ex.precision);
  }
  trainer.distribute(shared, ex.bucket_bytes, ex.gradient_compression);
  trainer.fit(ex.train, ex.validation.size() ? &ex.validation : nullptr, ex.fit, [&](const EpochRecord& r) {
    if (!lead) return;
    const char* score = score_name(r.train.kind);
    fmt::print("epoch {}/{}  loss {:.4f}  {} {:.4f}", r.epoch, ex.fit.epochs, r.train.loss, score, r.train.score);
    if (r.has_validation) fmt::print("  val_loss {:.4f}  val_{} {:.4f}", r.validation.loss, score, r.validation.score);
    fmt::print("  ({:.1f} s, {:.0f} samples/s)\n", r.seconds, static_cast<double>(ex.train.size()) / r.seconds);
    std::fflush(stdout);
  });
  if (ex.test.size()) {
    const Scores test = trainer.evaluate(ex.test, ex.fit.batch_size);
    if (lead) fmt::print("test: loss {:.4f}  {} {:.4f}\n", test.loss, score_name(test.kind), test.score);
  }
  if (!args.run_dir.empty()) {
    // Every rank scores (evaluate() is collective); rank 0 writes.
    const Dataset& scored = ex.test.size() ? ex.test : ex.validation;
    if (scored.size()) {
      const double loss = trainer.evaluate(scored, ex.fit.batch_size).loss;
      if (lead) {
        // A class per step: each step a row of the output's last axis, scored as a classification of its own.
        const auto [width, steps] = scored_rows(*ex.loss, *ex.model, scored);
        const OutputLink link = ex.loss->output_link();
        const auto outputs = trainer.predict(scored, ex.fit.batch_size);
        // Class probabilities as targets are scored as a classification, against each sample's most probable class.
        const bool soft = soft_labels(*ex.loss, scored);
        const auto target_names = read_target_names(spec.section("data"), width, ex.model->column_names().targets);
        auto metrics = scored_as_values(*ex.loss, ex.model->output_shape(), scored)
                           ? value_evaluation_json(evaluate_values(link_values(outputs, link, ex.model->target_scaling()), scored.targets, width,
                                                                   link, loss, target_names))
                           : evaluation_json(evaluate_labelled_rows(class_probabilities(outputs, width, link),
                                                                    steps ? step_labels(scored, steps) : soft ? most_probable_classes(scored) : scored.labels,
                                                                    classes_of_outputs(width), loss, 5, steps),
                                             soft && !steps && ex.class_names.empty() ? target_names
                                                                                      : ex.class_names);
        metrics["set"] = ex.test.size() ? "test" : "validation";
        write_text_atomically(args.run_dir / "metrics.json", metrics.dump(2) + "\n", "the metrics");
      }
    }
    if (lead) {
      save_model(args.run_dir / "model.safetensors", spec, *ex.model, registry);
      fmt::print("wrote the run to {} (report: nnplug report {})\n", args.run_dir.c_str(), args.run_dir.c_str());
    }
  }
  if (!args.save.empty() && lead) {
    save_model(args.save, spec, *ex.model, registry);
    fmt::print("saved the model to {}\n", args.save.c_str());
  }
  return 0;
}

}  // namespace

int train(const TrainArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  load_plugin_folders(plugin_dirs, registry);

  Spec spec = load_spec(args.spec);
  for (const auto& o : args.overrides) spec.set(o);
  const auto communicator = create_communicator(spec, registry, args.communicator);
  return run_on_every_rank(*communicator, [&] { return train_on(args, registry, spec, communicator); });
}

}  // namespace nnplug::cli
