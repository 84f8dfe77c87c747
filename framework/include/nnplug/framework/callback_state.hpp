#pragma once
// What a checkpoint keeps of a callback, so that a run resumed from it goes on as the uninterrupted run would:
// early stopping's best value, patience spent and best weights, the best value a best-only checkpoint compares
// with, the moving average of the weights, the plateau's reduced rate, the history's lines.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnplug {

struct CallbackState {
  std::string kind;                          // the callback's spec type; empty: it keeps nothing
  nlohmann::json values;                     // its counters and best values
  std::vector<std::vector<double>> weights;  // weights it holds, one vector per parameter
};

}  // namespace nnplug
