#pragma once
// Schedule: the learning rate as a function of training progress. The trainer asks before every optimizer step
// and hands the answer to the optimizer. Definitions follow torch.optim.lr_scheduler's closed forms, where PyTorch
// has the schedule. A factory rejects parameters that could make the rate negative or NaN.
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "nnplug/export.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

class NNPLUG_API Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string type() const = 0;
  // base_lr: the optimizer's configured rate; epoch counts from 0; step counts optimizer steps from 0 since
  // training began (across epochs).
  virtual double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const = 0;
  // The momentum the optimizer steps with at this point (Optimizer::set_momentum), for a schedule that cycles it
  // (one_cycle, as PyTorch's cycle_momentum); none leaves the optimizer's own.
  virtual std::optional<double> momentum(std::int64_t epoch, std::int64_t step) const {
    (void)epoch, (void)step;
    return std::nullopt;
  }
};

// A schedule's "per": whether its clock counts optimizer steps ("step") or epochs ("epoch"), `fallback` unless given.
inline bool counts_steps(const Params& p, const std::string& fallback) {
  const std::string per = p.string("per", fallback);
  if (per != "step" && per != "epoch") p.fail("per", fmt::format("must be \"step\" or \"epoch\", got \"{}\"", per));
  return per == "step";
}

}  // namespace nnplug
