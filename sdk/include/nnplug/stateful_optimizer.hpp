#pragma once
// StatefulOptimizer: the bookkeeping every torch.optim-style optimizer shares. It holds the learning rate and the
// step count, and allocates per-parameter state tensors ("slots", zero-initialised, beside the parameter on its
// backend) named as PyTorch names them ("exp_avg", "square_avg", ...). A subclass names its slots and writes the
// update of one parameter as one fused backend op.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/optimizer.hpp"

namespace nnplug {

class StatefulOptimizer : public Optimizer {
 public:
  StatefulOptimizer(std::string name, double lr, std::vector<std::string> slot_names)
      : lr_(lr), name_(std::move(name)), slot_names_(std::move(slot_names)) {}

  std::string type() const override { return name_; }
  double learning_rate() const override { return lr_; }
  void set_learning_rate(double lr) override { lr_ = lr; }

  void attach(const std::vector<Parameter*>& parameters) override {
    params_ = parameters;
    slots_.assign(slot_names_.size(), {});
    for (std::size_t s = 0; s < slot_names_.size(); ++s)
      for (const Parameter* p : params_) {
        Tensor t;
        if (uses_slot(s)) {
          t = p->value.backend().empty(p->value.shape(), p->value.dtype());
          t.backend().run(op::Fill{t, 0.0});
        }
        slots_[s].push_back(t);
      }
    step_ = 0;
  }

  void step() override {
    begin_step();
    for (std::size_t i = 0; i < params_.size(); ++i) update(i, *params_[i]);
  }
  // Each parameter's update reads only its own gradient and state.
  bool steps_in_parts() const override { return true; }
  void begin_step() override { ++step_; }
  void step_parameters(const std::vector<std::size_t>& positions) override {
    for (const std::size_t i : positions) {
      if (i >= params_.size())
        throw InvalidArgument(fmt::format("{}: parameter {} to update, but {} are attached", name_, i, params_.size()));
      update(i, *params_[i]);
    }
  }

  std::int64_t step_count() const override { return step_; }
  void set_step_count(std::int64_t steps) override { step_ = steps; }

  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t i = 0; i < params_.size(); ++i)
      for (std::size_t s = 0; s < slot_names_.size(); ++s)
        if (slots_[s][i].defined()) out.emplace_back(fmt::format("{}.{}", i, slot_names_[s]), slots_[s][i]);
    return out;
  }

 protected:
  // Whether slot s is needed with these settings (momentum buffers only with momentum, ...).
  virtual bool uses_slot(std::size_t s) const {
    (void)s;
    return true;
  }
  // Updates parameter i; step_ is already the number of this step (1 on the first).
  virtual void update(std::size_t i, Parameter& p) = 0;
  // Slot s of parameter i (undefined when !uses_slot(s)).
  const Tensor& slot(std::size_t s, std::size_t i) const { return slots_[s][i]; }

  double lr_;
  std::int64_t step_ = 0;

 private:
  std::string name_;
  std::vector<std::string> slot_names_;
  std::vector<Parameter*> params_;
  std::vector<std::vector<Tensor>> slots_;
};

}  // namespace nnplug
