#pragma once
// Runs that do not depend on each other (cross-validation's folds, a search round's trials) spread over the
// processes of an mpirun, as scikit-learn's n_jobs and Ray Tune spread theirs: rank r runs tasks r, r + size,
// r + 2 size, ..., and then every rank holds every task's result. Each task trains on one rank alone; nothing
// is sent while they run.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/communicator.hpp"

namespace nnplug {

// Every rank's `mine`, in rank order (the strings may differ in length).
std::vector<std::string> gather_strings(Communicator& communicator, const std::string& mine);

// Runs task(i) for this rank's share of [0, tasks), then calls on_result(i, result) for every task in order on
// every rank. Without a communicator, or with one rank, each result is passed on as its task ends.
void spread_over_ranks(Communicator* communicator, std::size_t tasks, const std::function<nlohmann::json(std::size_t)>& task,
                       const std::function<void(std::size_t, const nlohmann::json&)>& on_result);

}  // namespace nnplug
