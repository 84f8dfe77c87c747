#pragma once
// k-fold cross-validation, as scikit-learn's cross_val_score: the samples a spec trains and validates on (its test
// set stays out) are dealt into k folds; k models are trained, each on k - 1 folds, and scored on the fold left out.
// Preprocessing is fitted on each model's training folds only. With class labels the folds are stratified (each
// holds every class in the proportion of the whole, as StratifiedKFold); with value targets they are plain shuffled
// folds. The chapter's perceptron on XOR is scored this way (10 folds, mean accuracy 0.498).
#include <cstdint>
#include <functional>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/experiment.hpp"

namespace nnplug {

// The sample indices of each of `folds` folds, seeded: sizes differ by at most one, and with class labels so do a
// class's counts in any two folds. Throws InvalidArgument for fewer than 2 folds or more folds than samples.
std::vector<std::vector<std::int64_t>> fold_indices(const Dataset& data, std::int64_t folds, std::uint64_t seed);

struct FoldResult {
  int fold = 0;               // from 1
  std::int64_t samples = 0;   // in the fold scored
  Scores scores;              // the fold's loss and score (accuracy, or mae for a regression)
  double seconds = 0.0;       // to train and score
};

// Trains one model per fold of the spec's data as the spec says (its epochs and batch size; overrides.epochs and
// overrides.backend replace them), without its callbacks, which would write files or stop on validation data that
// is not there. on_fold, when given, sees each fold's result and the experiment that made it, as it ends, on the
// rank that ran it. With a communicator of several ranks the folds are spread over them (spread_over_ranks), and
// every rank returns every fold's result.
std::vector<FoldResult> cross_validate(const Spec& spec, const Registry& registry, std::int64_t folds, const Overrides& overrides = {},
                                       const std::function<void(const FoldResult&, const Experiment&)>& on_fold = {},
                                       Communicator* communicator = nullptr);

}  // namespace nnplug
