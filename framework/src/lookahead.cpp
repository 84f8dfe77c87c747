#include "nnplug/framework/lookahead.hpp"

#include <cmath>

#include <fmt/format.h>

namespace nnplug {

Lookahead::Lookahead(std::int64_t k, double alpha) : k_(k), alpha_(alpha) {
  if (k_ < 1) throw InvalidArgument(fmt::format("lookahead: k must be 1 or more, got {}", k_));
  if (!(alpha_ > 0.0 && alpha_ <= 1.0)) throw InvalidArgument(fmt::format("lookahead: alpha must be in (0, 1], got {}", alpha_));
}

// The slow weights start as the model's (a resumed run has them from its checkpoint already).
void Lookahead::on_train_begin(Model& model, const Dataset&) {
  if (slow_.empty()) slow_.copy_from(model);
}

bool Lookahead::on_batch_end(const BatchRecord&, Model& model) {
  if (++steps_since_ == k_) synchronize(model);
  return true;
}

void Lookahead::on_train_end(Model& model) {
  if (steps_since_ > 0) synchronize(model);
}

void Lookahead::synchronize(Model& model) {
  slow_.blend(model, 1.0 - alpha_);
  slow_.put_into(model);
  steps_since_ = 0;
}

std::string Lookahead::state_kind() const { return "lookahead"; }

CallbackState Lookahead::state() const { return {state_kind(), {{"steps_since", steps_since_}}, slow_.to_host()}; }

void Lookahead::restore_state(const CallbackState& state, Model& model) {
  const auto& steps = state.values.at("steps_since");
  if (!steps.is_number_integer() || steps.get<std::int64_t>() < 0 || steps.get<std::int64_t>() >= k_)
    throw InvalidArgument(fmt::format("steps_since must be a count of steps below k = {}, got {}", k_, steps.dump()));
  if (state.weights.empty()) throw InvalidArgument("it keeps no slow weights");
  slow_.restore(state.weights, model);
  steps_since_ = steps.get<std::int64_t>();
}

}  // namespace nnplug
