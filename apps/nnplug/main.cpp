// nnplug: train and inspect models whose every component is a plugin loaded at run time.
#include <cstdio>
#include <filesystem>
#include <new>
#include <exception>

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "commands.hpp"
#include "option_checks.hpp"
#include "nnplug/errors.hpp"

// Exit statuses: 0 done, 1 bad input (a message names it), kUsageError a command line CLI11 refused, and
// kInternalError an exception nnplug did not expect (sysexits.h's EX_SOFTWARE), so that no two mean the same.
constexpr int kUsageError = 2;
constexpr int kInternalError = 70;

int main(int argc, char** argv) {
  CLI::App app{"nnplug: deep learning from plugins"};
  app.require_subcommand(1);
  std::vector<std::filesystem::path> plugin_dirs;
  app.add_option("--plugin-path", plugin_dirs, "Plugin folder searched first (repeatable)");

  // --precision NAME sets the spec's "precision" (as --set precision="NAME" would), so that checkpoints and saved
  // models record it; evaluate and predict take it in place of the saved one.
  const std::vector<std::string> precisions{"float32", "bfloat16"};
  const char* precision_help = "Run matrix products and convolutions in float32 or in bfloat16 mixed precision (default: the spec's \"precision\")";
  const auto add_precision = [&](CLI::App* command, std::vector<std::string>& overrides) {
    command->add_option_function<std::string>("--precision", [&overrides](const std::string& name) { overrides.push_back(fmt::format("precision=\"{}\"", name)); },
                                              precision_help)->check(CLI::IsMember(precisions));
  };

  nnplug::cli::TrainArgs train;
  auto* train_cmd = app.add_subcommand("train", "Train the model a spec file describes, then score it on the test set");
  train_cmd->add_option("spec", train.spec, "Model spec file (JSON)")->required();
  train_cmd->add_option("--backend", train.backend, "Backend plugin to run on, by name or as a JSON object of its parameters (default: the spec's, else the best found)");
  train_cmd->add_option("--communicator", train.communicator, "Communicator plugin for data-parallel training, by name or as a JSON object of its parameters (default: the spec's, else mpi under mpirun, else local)");
  train_cmd->add_option("--epochs", train.epochs, "Override the spec's epoch count")->check(nnplug::cli::whole_number(0, 1000000));
  train_cmd->add_option("--batch-size", train.batch_size, "Override the spec's batch size")->check(nnplug::cli::whole_number(1));
  train_cmd->add_option("--limit-train", train.limit_train, "Use only the first N training samples")->check(nnplug::cli::whole_number(0));
  train_cmd->add_option("--set", train.overrides, "Override a spec field: PATH=JSON, e.g. optimizer.lr=0.01 or layers[0].units=64 (repeatable)");
  add_precision(train_cmd, train.overrides);
  train_cmd->add_flag("!--no-progress", train.progress, "Do not draw the progress bar");
  train_cmd->add_option("--save", train.save, "Save the trained model here (safetensors, with its spec and plugins)");
  train_cmd->add_option("--resume", train.resume, "Continue from a checkpoint written by the spec's checkpoint callback");
  train_cmd->add_option("--run-dir", train.run_dir, "Write the history, monitoring statistics, test metrics and model here (for nnplug report)");

  nnplug::cli::ReportArgs report;
  auto* report_cmd = app.add_subcommand("report", "Write a self-contained HTML page of a run folder's charts");
  report_cmd->add_option("run", report.run_dir, "Run folder written by train --run-dir (lr-find.csv and search.csv there are drawn too)")->required();
  report_cmd->add_option("--output", report.output, "The HTML file (default: RUN/report.html)");

  nnplug::cli::EvaluateArgs evaluate;
  auto* evaluate_cmd = app.add_subcommand("evaluate", "Score saved models (several: an ensemble) on the test data their spec names");
  evaluate_cmd->add_option("models", evaluate.models, "Model files saved by train --save or a checkpoint")->required();
  evaluate_cmd->add_option("--backend", evaluate.backend, "Backend plugin to run on, by name or as a JSON object of its parameters (default: the spec's, else the best found)");
  evaluate_cmd->add_option("--precision", evaluate.precision, precision_help)->check(CLI::IsMember(precisions));
  evaluate_cmd->add_option("--batch-size", evaluate.batch_size, "Batch size")->check(nnplug::cli::whole_number(1));
  evaluate_cmd->add_option("--top-k", evaluate.top_k, "k of the top-k accuracy (given where below the class count)")
      ->capture_default_str()
      ->check(nnplug::cli::whole_number(1))
      ->each([&](const std::string&) { evaluate.top_k_given = true; });
  evaluate_cmd->add_option("--json", evaluate.json, "Also write the metrics to this JSON file");

  nnplug::cli::PredictArgs predict;
  auto* predict_cmd = app.add_subcommand("predict", "Predictions of saved models (several: an ensemble) for a file of samples: class probabilities or scores, or values");
  predict_cmd->add_option("models", predict.models, "Model files saved by train --save or a checkpoint")->required();
  predict_cmd->add_option("--input", predict.input,
                          "Samples: an IDX image file for idx data, an .npy array for npy data, a folder of images or one image for "
                          "image_folder data, else CSV (default: the test set)");
  predict_cmd->add_option("--output", predict.output, "Write the CSV here (default: standard output)");
  predict_cmd->add_option("--backend", predict.backend, "Backend plugin to run on, by name or as a JSON object of its parameters (default: the spec's, else the best found)");
  predict_cmd->add_option("--precision", predict.precision, precision_help)->check(CLI::IsMember(precisions));
  predict_cmd->add_option("--batch-size", predict.batch_size, "Batch size")->check(nnplug::cli::whole_number(1));
  predict_cmd->add_flag("--logits", predict.logits, "Write the model's raw outputs (logits) instead of probabilities (one model)");
  predict_cmd->add_flag("--submission", predict.submission,
                        "Write each sample's id (the data's id_column) and its predicted class under the label column's name (or each target's "
                        "value under its name) alone, as a Kaggle submission holds them")
      ->excludes("--logits");
  auto* row_ids = predict_cmd->add_option("--row-ids", predict.row_ids,
                                          "Name each sample by its place in the file, counted from 1, under this column name (Kaggle's "
                                          "Digit Recognizer's ImageId), in place of the data's ids or images' files");
  predict_cmd->add_option("--first-row-id", predict.first_row_id, "The first sample's number under --row-ids")->capture_default_str()->needs(row_ids);

  nnplug::cli::GradcheckArgs gradcheck;
  auto* gradcheck_cmd = app.add_subcommand("gradcheck", "Check the model's backpropagated gradients against centred differences in float64");
  gradcheck_cmd->add_option("spec", gradcheck.spec, "Model spec file (JSON)")->required();
  gradcheck_cmd->add_option("--backend", gradcheck.backend, "Backend plugin (it must support float64)");
  gradcheck_cmd->add_option("--set", gradcheck.overrides, "Override a spec field: PATH=JSON (repeatable)");
  gradcheck_cmd->add_option("--samples", gradcheck.samples, "Training samples in the objective")->capture_default_str()->check(nnplug::cli::whole_number(1));
  gradcheck_cmd->add_option("--coordinates", gradcheck.coordinates, "Coordinates checked per parameter tensor")->capture_default_str()->check(nnplug::cli::whole_number(1));
  gradcheck_cmd->add_option("--step", gradcheck.step, "Finite-difference step h")->capture_default_str()->check(nnplug::cli::number_above(0));
  gradcheck_cmd->add_option("--burn-in", gradcheck.burn_in, "Optimizer steps before the check")->capture_default_str()->check(nnplug::cli::whole_number(0));
  gradcheck_cmd->add_option("--batch-size", gradcheck.batch_size, "Batch size of the burn-in steps")->capture_default_str()->check(nnplug::cli::whole_number(1));

  nnplug::cli::LrFindArgs lr_find;
  auto* lr_find_cmd = app.add_subcommand("lr-find", "Sweep the learning rate exponentially, show the loss against it, suggest a rate");
  lr_find_cmd->add_option("spec", lr_find.spec, "Model spec file (JSON)")->required();
  lr_find_cmd->add_option("--backend", lr_find.backend, "Backend plugin to run on, by name or as a JSON object of its parameters");
  lr_find_cmd->add_option("--set", lr_find.overrides, "Override a spec field: PATH=JSON (repeatable)");
  add_precision(lr_find_cmd, lr_find.overrides);
  lr_find_cmd->add_option("--min-lr", lr_find.min_lr, "First learning rate")->capture_default_str()->check(nnplug::cli::number_above(0));
  lr_find_cmd->add_option("--max-lr", lr_find.max_lr, "Last learning rate")->capture_default_str()->check(nnplug::cli::number_above(0));
  lr_find_cmd->add_option("--steps", lr_find.steps, "Optimizer steps of the sweep")->capture_default_str()->check(nnplug::cli::whole_number(1));
  lr_find_cmd->add_option("--batch-size", lr_find.batch_size, "Batch size (default: the spec's)")->check(nnplug::cli::whole_number(1));
  lr_find_cmd->add_option("--csv", lr_find.csv, "Also write learning_rate,loss,smoothed rows here");

  nnplug::cli::SearchArgs search;
  auto* search_cmd = app.add_subcommand("search", "Random search of hyper-parameters, scored on validation data, narrowed round by round");
  search_cmd->add_option("spec", search.spec, "Model spec file (JSON); its \"search\" section gives the ranges")->required();
  search_cmd->add_option("--param", search.params, "A searched field: PATH=log:LOW:HIGH, uniform:LOW:HIGH or int:LOW:HIGH (repeatable)");
  search_cmd->add_option("--trials", search.trials, "Trials per round")->check(nnplug::cli::whole_number(1));
  search_cmd->add_option("--epochs", search.epochs, "Epochs per trial")->check(nnplug::cli::whole_number(1));
  search_cmd->add_option("--rounds", search.rounds, "Rounds; each after the first searches the ranges of the best trials")->check(nnplug::cli::whole_number(1));
  search_cmd->add_option("--top", search.top, "Trials shown per round, and that narrow the ranges")->check(nnplug::cli::whole_number(1));
  search_cmd->add_option("--csv", search.csv, "Write every trial here");
  search_cmd->add_option("--backend", search.backend, "Backend plugin to run on, by name or as a JSON object of its parameters");
  search_cmd->add_option("--set", search.overrides, "Override a spec field: PATH=JSON (repeatable)");
  search_cmd->add_option("--communicator", search.communicator, "Communicator plugin whose ranks share out each round's trials (default: the spec's, else mpi under mpirun, else local)");
  add_precision(search_cmd, search.overrides);

  nnplug::cli::CrossValidateArgs cross_validate;
  auto* cross_validate_cmd = app.add_subcommand("cross-validate", "k-fold cross-validation: a model per fold, trained on the others and scored on it");
  cross_validate_cmd->add_option("spec", cross_validate.spec, "Model spec file (JSON); its training and validation samples are cut into folds")->required();
  cross_validate_cmd->add_option("--folds", cross_validate.folds, "Folds (k)")->capture_default_str()->check(nnplug::cli::whole_number(2));
  cross_validate_cmd->add_option("--epochs", cross_validate.epochs, "Epochs per fold (default: the spec's)")->check(nnplug::cli::whole_number(1));
  cross_validate_cmd->add_option("--backend", cross_validate.backend, "Backend plugin to run on, by name or as a JSON object of its parameters");
  cross_validate_cmd->add_option("--set", cross_validate.overrides, "Override a spec field: PATH=JSON (repeatable)");
  cross_validate_cmd->add_option("--json", cross_validate.json, "Also write each fold's scores and their mean and std here");
  cross_validate_cmd->add_option("--communicator", cross_validate.communicator, "Communicator plugin whose ranks share out the folds (default: the spec's, else mpi under mpirun, else local)");
  add_precision(cross_validate_cmd, cross_validate.overrides);

  nnplug::cli::SanityCheckArgs sanity;
  auto* sanity_cmd = app.add_subcommand("sanity-check", "The initial loss against chance, then a tiny subset overfitted, without regularization");
  sanity_cmd->add_option("spec", sanity.spec, "Model spec file (JSON)")->required();
  sanity_cmd->add_option("--samples", sanity.samples, "Training samples to overfit")->capture_default_str()->check(nnplug::cli::whole_number(1));
  sanity_cmd->add_option("--max-epochs", sanity.max_epochs, "Epochs to fit them in at most")->capture_default_str()->check(nnplug::cli::whole_number(1));
  sanity_cmd->add_option("--backend", sanity.backend, "Backend plugin to run on, by name or as a JSON object of its parameters");
  sanity_cmd->add_option("--set", sanity.overrides, "Override a spec field: PATH=JSON (repeatable)");
  add_precision(sanity_cmd, sanity.overrides);

  nnplug::cli::SummaryArgs summary;
  auto* summary_cmd = app.add_subcommand("summary", "Print each layer's output shape and parameter count, and the totals");
  summary_cmd->add_option("spec", summary.spec, "Model spec file (JSON), or a saved model (.safetensors)")->required();
  summary_cmd->add_option("--input-shape", summary.input_shape, "Per-sample input shape, e.g. 3 32 32 (default: from the data)")
      ->delimiter(',');
  summary_cmd->add_option("--set", summary.overrides, "Override a spec field: PATH=JSON (repeatable)");
  summary_cmd->add_flag("--expand", summary.expand, "Show every layer of each block instance, not one line per instance");

  nnplug::cli::PluginCheckArgs check;
  auto* check_cmd = app.add_subcommand("plugin-check", "Load a built plugin and run the conformance checks for what it provides");
  check_cmd->add_option("plugin", check.plugin, "The plugin file (.so)")->required();
  check_cmd->add_option("--params", check.params,
                        "JSON parameters for its specs, e.g. '{\"units\": 3}', or per name where they differ: "
                        "'{\"group_norm\": {\"num_groups\": 2}, \"instance_norm\": {}}'");
  check_cmd->add_option("--input-shape", check.input_shape, "Per-sample input shape of the layer checks, e.g. 5,4 for a sequence (default: 6)")
      ->delimiter(',');

  nnplug::cli::PluginsArgs plugins;
  auto* plugins_cmd = app.add_subcommand("plugins", "List every plugin found and every library rejected, with why");
  plugins_cmd->add_flag("--explain", plugins.explain, "Also show the search path and the verdict on every file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own statuses (105, 109, ...) mean nothing to a shell script, so a
    // usage error exits 2, as argparse's and getopt's do.
    return app.exit(e) == 0 ? 0 : kUsageError;
  }
  nnplug::Registry registry;  // outlives the handlers below: see commands.hpp
  try {
    if (*train_cmd) return nnplug::cli::train(train, plugin_dirs, registry);
    if (*evaluate_cmd) return nnplug::cli::evaluate(evaluate, plugin_dirs, registry);
    if (*gradcheck_cmd) return nnplug::cli::gradcheck(gradcheck, plugin_dirs, registry);
    if (*lr_find_cmd) return nnplug::cli::lr_find(lr_find, plugin_dirs, registry);
    if (*predict_cmd) return nnplug::cli::predict(predict, plugin_dirs, registry);
    if (*report_cmd) return nnplug::cli::report(report);
    if (*search_cmd) return nnplug::cli::search(search, plugin_dirs, registry);
    if (*cross_validate_cmd) return nnplug::cli::cross_validate(cross_validate, plugin_dirs, registry);
    if (*sanity_cmd) return nnplug::cli::sanity_check(sanity, plugin_dirs, registry);
    if (*summary_cmd) return nnplug::cli::summary(summary, plugin_dirs, registry);
    if (*check_cmd) return nnplug::cli::plugin_check(check, plugin_dirs, registry);
    if (*plugins_cmd) return nnplug::cli::plugins(plugins, plugin_dirs, registry);
  } catch (const nnplug::Error& e) {
    fmt::print(stderr, "nnplug: error: {}\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    // A size from the spec or a file (samples, units, a batch) larger than this machine's memory.
    fmt::print(stderr, "nnplug: error: out of memory: a size in the spec, a flag or a data file asks for more memory than this machine has (the data's samples, a layer's units, the batch size)\n");
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "nnplug: error: {}\n", e.what());  // names the path(s) and the system's reason
    return 1;
  } catch (const std::exception& e) {  // a bug: every error nnplug expects is one of the above
    fmt::print(stderr, "nnplug: unexpected error: {}\n", e.what());
    return kInternalError;
  }
  return 0;
}
