#pragma once
// The subcommands of the nnplug command line. Each returns the process exit status.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nnplug::cli {

struct TrainArgs {
  std::filesystem::path spec;
  std::string backend;
  std::optional<int> epochs;
  std::optional<long long> batch_size;
  std::optional<long long> limit_train;
  std::vector<std::string> overrides;  // --set PATH=JSON
  bool progress = true;
};

struct PluginsArgs {
  bool explain = false;
};

int train(const TrainArgs& args, const std::vector<std::filesystem::path>& plugin_dirs);
int plugins(const PluginsArgs& args, const std::vector<std::filesystem::path>& plugin_dirs);

}  // namespace nnplug::cli
