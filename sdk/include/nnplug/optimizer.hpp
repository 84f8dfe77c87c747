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
  // Whether step() may also be taken in parts: begin_step(), then step_parameters() once for every attached
  // parameter, in any grouping and order. Data-parallel training then updates each bucket of gradients as soon as
  // its reduction is done, while the others are still on the wire. An optimizer whose update of one parameter
  // reads another (a global norm, a shared trust ratio) keeps the default, false.
  virtual bool steps_in_parts() const { return false; }
  // The step count advances, as at the start of step().
  virtual void begin_step() {}
  // Updates the attached parameters at these positions in the list given to attach().
  virtual void step_parameters(const std::vector<std::size_t>& positions) { (void)positions; }
  virtual double learning_rate() const = 0;
  virtual void set_learning_rate(double lr) = 0;
  // The momentum a schedule cycles (Schedule::momentum): SGD's and RMSprop's momentum, the Adams' beta1, in [0, 1).
  // False where the optimizer has none (AdaGrad), or was configured without it (SGD of momentum 0).
  virtual bool set_momentum(double momentum) {
    (void)momentum;
    return false;
  }
  // What a checkpoint saves to resume exactly: named state tensors, read and written in place (e.g.
  // {"0.exp_avg", tensor}), and the number of steps taken (Adam's bias correction depends on it).
  virtual std::vector<std::pair<std::string, Tensor>> state() { return {}; }
  virtual std::int64_t step_count() const { return 0; }
  virtual void set_step_count(std::int64_t steps) { (void)steps; }
};

}  // namespace nnplug
