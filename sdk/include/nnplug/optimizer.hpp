#pragma once
// Optimizer: updates parameters from their gradients, one fused backend op per parameter tensor per step.
// Hyper-parameter names and defaults follow torch.optim.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/export.hpp"
#include "nnplug/layer.hpp"

namespace nnplug {

class NNPLUG_API Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string type() const = 0;
  // Takes the trainable parameters it will update and allocates its state beside them (on their backend).
  virtual void attach(const std::vector<Parameter*>& parameters) = 0;
  // One update of every attached parameter from its grad.
  virtual void step() = 0;
  virtual double learning_rate() const = 0;
  virtual void set_learning_rate(double lr) = 0;
  // What a checkpoint saves to resume exactly: named state tensors, read and written in place (e.g.
  // {"0.exp_avg", tensor}), and the number of steps taken (Adam's bias correction depends on it).
  virtual std::vector<std::pair<std::string, Tensor>> state() { return {}; }
  virtual std::int64_t step_count() const { return 0; }
  virtual void set_step_count(std::int64_t steps) { (void)steps; }
};

}  // namespace nnplug
