#pragma once
// The subcommands of the nnplug command line. Each returns the process exit status.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace nnplug::cli {

struct TrainArgs {
  std::filesystem::path spec;
  std::string backend;
  std::optional<int> epochs;
  std::optional<long long> batch_size;
  std::optional<long long> limit_train;
  std::vector<std::string> overrides;  // --set PATH=JSON
  bool progress = true;
  std::filesystem::path save;    // where to save the trained model (safetensors); empty: not saved
  std::filesystem::path resume;  // a checkpoint to continue from
};

struct EvaluateArgs {
  std::filesystem::path model;
  std::string backend;
  long long batch_size = 256;
};

struct SummaryArgs {
  std::filesystem::path spec;
  std::vector<long long> input_shape;  // per sample, e.g. 3 32 32; empty: from the spec's data
  std::vector<std::string> overrides;
};

struct PluginCheckArgs {
  std::filesystem::path plugin;
  std::string params;  // JSON object merged into each checked spec
};

struct PluginsArgs {
  bool explain = false;
};

// Each loads the plugins into `registry`, which the caller keeps alive until it has reported any exception: an
// exception thrown by plugin code needs that plugin's library loaded to be read and destroyed.
int train(const TrainArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int evaluate(const EvaluateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int summary(const SummaryArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int plugin_check(const PluginCheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int plugins(const PluginsArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);

}  // namespace nnplug::cli
