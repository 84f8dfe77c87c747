#pragma once
// The subcommands of the nnplug command line. Each returns the process exit status.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/registry.hpp"
#include "nnplug/framework/spec.hpp"

namespace nnplug::cli {

struct TrainArgs {
  std::filesystem::path spec;
  std::string backend;
  std::string communicator;  // empty: the spec's, else the best found
  std::optional<int> epochs;
  std::optional<long long> batch_size;
  std::optional<long long> limit_train;
  std::vector<std::string> overrides;  // --set PATH=JSON
  bool progress = true;
  std::filesystem::path save;    // where to save the trained model (safetensors); empty: not saved
  std::filesystem::path resume;  // a checkpoint to continue from
  std::filesystem::path run_dir; // write history, monitoring, metrics and the model here, for `nnplug report`
};

struct ReportArgs {
  std::filesystem::path run_dir;
  std::filesystem::path output;  // default: run_dir/report.html
};

struct EvaluateArgs {
  std::vector<std::filesystem::path> models;  // several: an ensemble
  std::string backend;
  std::string precision;  // empty: each model's saved precision
  long long batch_size = 256;
  long long top_k = 5;
  bool top_k_given = false;  // --top-k on the command line, not its default
  std::filesystem::path json;  // also write the metrics here
};

struct PredictArgs {
  std::vector<std::filesystem::path> models;
  std::filesystem::path input;   // empty: the spec's test set
  std::filesystem::path output;  // empty: standard output
  std::string backend;
  std::string precision;  // empty: each model's saved precision
  long long batch_size = 256;
  bool logits = false;  // the model's raw outputs instead of probabilities
  bool submission = false;  // each sample's id and prediction alone, as a Kaggle submission holds them
  std::string row_ids;  // non-empty: each sample named by its row number, under this column name
  long long first_row_id = 1;  // the first sample's row number
};

struct SummaryArgs {
  std::filesystem::path spec;
  std::vector<long long> input_shape;  // per sample, e.g. 3 32 32; empty: from the spec's data
  std::vector<std::string> overrides;
  bool expand = false;  // every node of each block instance, not one line per instance
};

struct GradcheckArgs {
  std::filesystem::path spec;
  std::string backend;
  std::vector<std::string> overrides;
  long long samples = 3;        // the chapter: 2 or 3 samples, so that few kinks are crossed
  long long coordinates = 10;   // per parameter tensor
  double step = 1e-5;
  long long burn_in = 0;        // optimizer steps before the check
  long long batch_size = 32;    // of the burn-in steps
};

struct LrFindArgs {
  std::filesystem::path spec;
  std::string backend;
  std::vector<std::string> overrides;
  double min_lr = 1e-7, max_lr = 10.0;
  long long steps = 100;
  long long batch_size = 0;  // 0: the spec's
  std::filesystem::path csv; // also write the sweep here
};

struct SearchArgs {
  std::filesystem::path spec;
  std::string backend;
  std::vector<std::string> overrides;
  std::vector<std::string> params;  // PATH=RANGE, added to (or replacing) the spec's "search" parameters
  std::optional<int> trials, epochs, rounds, top;
  std::filesystem::path csv;
  std::string communicator;  // empty: the spec's, else the best found (mpi under mpirun)
};

struct CrossValidateArgs {
  std::filesystem::path spec;
  long long folds = 5;  // scikit-learn's default cv
  std::optional<int> epochs;
  std::string backend;
  std::vector<std::string> overrides;
  std::filesystem::path json;  // also write each fold's scores and their mean and std here
  std::string communicator;    // empty: the spec's, else the best found (mpi under mpirun)
};

struct SanityCheckArgs {
  std::filesystem::path spec;
  std::string backend;
  std::vector<std::string> overrides;
  long long samples = 20;  // the tiny subset to overfit (the chapter's 20)
  int max_epochs = 2000;
};

struct PluginCheckArgs {
  std::filesystem::path plugin;
  std::string params;                   // JSON object merged into each checked spec, or one object per name
  std::vector<long long> input_shape;  // per sample, for the layer checks; empty: [6]
};

struct PluginsArgs {
  bool explain = false;
};

// Each loads the plugins into `registry`, which the caller keeps alive until it has reported any exception: an
// exception thrown by plugin code needs that plugin's library loaded to be read and destroyed.
int train(const TrainArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int evaluate(const EvaluateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int gradcheck(const GradcheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int lr_find(const LrFindArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int predict(const PredictArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int report(const ReportArgs& args);
// Loads the plugins (from plugin_dirs first) into `registry`, saying on stderr which of plugin_dirs cannot be read.
void load_plugin_folders(const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
// load_plugin_folders, then reads the spec at `path` and applies each --set PATH=JSON of `overrides` to it.
Spec load_command_spec(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                       const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);

// Started by mpirun (several ranks of `communicator`): refuses ranks whose `options` (the spec and the command's
// options, as text; `what` names them) or plugins differ from rank 0's.
void require_same_start(Communicator& communicator, const std::string& what, const std::string& options, const Registry& registry);
// Runs `command`; on several ranks, one that throws aborts them all, with a message naming the rank and the cause,
// and those that end wait for each other, so that none leaves while rank 0 still writes.
int run_on_every_rank(Communicator& communicator, const std::function<int()>& command);

int cross_validate(const CrossValidateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int sanity_check(const SanityCheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int search(const SearchArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int summary(const SummaryArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
// --input-shape's sizes as a sample's shape, or InvalidArgument saying which is wrong.
Shape input_shape_option(const std::vector<long long>& sizes);

int plugin_check(const PluginCheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);
int plugins(const PluginsArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry);

}  // namespace nnplug::cli
