// nnplug: train and inspect models whose every component is a plugin loaded at run time.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "nnplug/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nnplug: deep learning from plugins"};
  app.require_subcommand(1);
  std::vector<std::filesystem::path> plugin_dirs;
  app.add_option("--plugin-path", plugin_dirs, "Plugin folder searched first (repeatable)");

  nnplug::cli::TrainArgs train;
  auto* train_cmd = app.add_subcommand("train", "Train the model a spec file describes, then score it on the test set");
  train_cmd->add_option("spec", train.spec, "Model spec file (JSON)")->required();
  train_cmd->add_option("--backend", train.backend, "Backend plugin to run on (default: the spec's, else the best found)");
  train_cmd->add_option("--epochs", train.epochs, "Override the spec's epoch count");
  train_cmd->add_option("--batch-size", train.batch_size, "Override the spec's batch size");
  train_cmd->add_option("--limit-train", train.limit_train, "Use only the first N training samples");
  train_cmd->add_option("--set", train.overrides, "Override a spec field: PATH=JSON, e.g. optimizer.lr=0.01 (repeatable)");
  train_cmd->add_flag("!--no-progress", train.progress, "Do not draw the progress bar");
  train_cmd->add_option("--save", train.save, "Save the trained model here (safetensors, with its spec and plugins)");
  train_cmd->add_option("--resume", train.resume, "Continue from a checkpoint written by the spec's checkpoint callback");

  nnplug::cli::EvaluateArgs evaluate;
  auto* evaluate_cmd = app.add_subcommand("evaluate", "Score a saved model on the test data its spec names");
  evaluate_cmd->add_option("model", evaluate.model, "Model file saved by train --save")->required();
  evaluate_cmd->add_option("--backend", evaluate.backend, "Backend plugin to run on (default: the spec's, else the best found)");
  evaluate_cmd->add_option("--batch-size", evaluate.batch_size, "Batch size")->check(CLI::PositiveNumber);

  nnplug::cli::SummaryArgs summary;
  auto* summary_cmd = app.add_subcommand("summary", "Print each layer's output shape and parameter count, and the totals");
  summary_cmd->add_option("spec", summary.spec, "Model spec file (JSON)")->required();
  summary_cmd->add_option("--input-shape", summary.input_shape, "Per-sample input shape, e.g. 3 32 32 (default: from the data)")
      ->delimiter(',');
  summary_cmd->add_option("--set", summary.overrides, "Override a spec field: PATH=JSON (repeatable)");

  nnplug::cli::PluginCheckArgs check;
  auto* check_cmd = app.add_subcommand("plugin-check", "Load a built plugin and run the conformance checks for what it provides");
  check_cmd->add_option("plugin", check.plugin, "The plugin file (.so)")->required();
  check_cmd->add_option("--params", check.params, "JSON parameters for its specs, e.g. '{\"units\": 3}'");

  nnplug::cli::PluginsArgs plugins;
  auto* plugins_cmd = app.add_subcommand("plugins", "List every plugin found and every library rejected, with why");
  plugins_cmd->add_flag("--explain", plugins.explain, "Also show the search path and the verdict on every file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  nnplug::Registry registry;  // outlives the handlers below: see commands.hpp
  try {
    if (*train_cmd) return nnplug::cli::train(train, plugin_dirs, registry);
    if (*evaluate_cmd) return nnplug::cli::evaluate(evaluate, plugin_dirs, registry);
    if (*summary_cmd) return nnplug::cli::summary(summary, plugin_dirs, registry);
    if (*check_cmd) return nnplug::cli::plugin_check(check, plugin_dirs, registry);
    if (*plugins_cmd) return nnplug::cli::plugins(plugins, plugin_dirs, registry);
  } catch (const nnplug::Error& e) {
    std::fprintf(stderr, "nnplug: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnplug: unexpected error: %s\n", e.what());
    return 2;
  }
  return 0;
}
