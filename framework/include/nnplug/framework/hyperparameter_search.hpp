#pragma once
// Random search over hyper-parameters (the chapters' recipe): each trial samples every searched spec field from
// its range (log-uniform for rates and strengths), trains for a few epochs, and is scored on the validation set
// only. Rounds narrow each range to the values of the best trials (coarse to fine).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/random.hpp"

namespace nnplug {

struct SearchDimension {
  enum class Scale { Log, Linear, Integer };
  std::string path;  // a spec field, e.g. "optimizer.lr"
  Scale scale = Scale::Log;
  double low = 0.0, high = 0.0;
  // "log:1e-6:1e-2", "uniform:0.1:0.5" or "int:32:256"; throws InvalidArgument naming `path` for anything else.
  static SearchDimension parse(const std::string& path, const std::string& range);
  std::string range() const;  // back in the same notation
  // A draw: log-uniform (uniform in log space), uniform, or a uniform integer in [low, high].
  double sample(Random& random) const;
};

struct SearchSettings {
  int trials = 20;  // per round
  int epochs = 5;   // per trial
  int rounds = 1;   // rounds after the first narrow the ranges to the top trials of the one before
  int top = 5;      // the trials that are shown and that narrow the ranges
  std::uint64_t seed = 0;
};

struct Trial {
  int round = 1, index = 0;    // 1-based
  std::vector<double> values;  // one per dimension
  Scores train, validation;    // after the last epoch
  std::string failure;         // why the trial stopped (a NaN loss at a high rate), else empty
  double seconds = 0.0;
  bool ok() const { return failure.empty(); }
};

// The spec's "search" section: {"trials": 100, "epochs": 50, "rounds": 2, "top": 5, "parameters":
// {"optimizer.lr": "log:1e-6:1e-2", "optimizer.weight_decay": "log:1e-8:1e-4"}}. The fields of `settings` and
// `dimensions` it does not give keep their values.
void read_search_section(const Spec& spec, SearchSettings& settings, std::vector<SearchDimension>& dimensions);

// Best first: by validation score (the highest accuracy, the lowest mean absolute error), then validation loss;
// failed trials last.
void rank_trials(std::vector<Trial>& trials);

// Each range shrunk to the span of the top trials' values (at least the range of one trial).
std::vector<SearchDimension> narrow(const std::vector<SearchDimension>& dimensions, const std::vector<Trial>& ranked, int top);

// Runs every round; on_trial is called after each trial, on_round after each round with its trials ranked and
// the ranges the next round will use. The data is loaded once. Throws InvalidArgument when the spec has no
// validation set (a search must never look at the test set) or a dimension names a data field. With a
// communicator of several ranks each round's trials are spread over them (spread_over_ranks): every rank sees
// on_trial for every trial, in order, once the round's last has ended, and returns the same trials.
std::vector<Trial> run_search(const Spec& spec, const Registry& registry, const SearchSettings& settings,
                              std::vector<SearchDimension> dimensions, const Overrides& overrides,
                              const std::function<void(const Trial&)>& on_trial = {},
                              const std::function<void(int, const std::vector<Trial>&, const std::vector<SearchDimension>&)>& on_round = {},
                              Communicator* communicator = nullptr);

}  // namespace nnplug
