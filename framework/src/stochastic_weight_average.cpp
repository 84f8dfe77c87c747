#include "nnplug/framework/stochastic_weight_average.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "nnplug/framework/trainer.hpp"

namespace nnplug {

StochasticWeightAverage::StochasticWeightAverage(Settings settings) : settings_(settings) {
  if (settings_.start_epoch < 1) throw InvalidArgument(fmt::format("swa: start_epoch must be 1 or more, got {}", settings_.start_epoch));
  if (settings_.anneal_epochs < 0) throw InvalidArgument(fmt::format("swa: anneal_epochs must be 0 or more, got {}", settings_.anneal_epochs));
  if (settings_.lr && !(*settings_.lr >= 0.0 && std::isfinite(*settings_.lr)))
    throw InvalidArgument(fmt::format("swa: lr must be a finite number >= 0, got {}", *settings_.lr));
}

void StochasticWeightAverage::on_epoch_begin(int epoch, Model&) { epoch_ = epoch; }

// SWALR: the rate moves from start_rate_ to lr along a half cosine (or a line) over anneal_epochs epochs, one step
// an epoch, the first after start_epoch; PyTorch's SWALR stepped once after each epoch from start_epoch on.
double StochasticWeightAverage::adjust_learning_rate(double lr) const {
  if (!settings_.lr || epoch_ <= settings_.start_epoch) return lr;
  const double t = settings_.anneal_epochs == 0
                       ? 1.0 : std::min(1.0, static_cast<double>(epoch_ - settings_.start_epoch) / settings_.anneal_epochs);
  const double alpha = settings_.cosine_anneal ? (1.0 - std::cos(std::numbers::pi * t)) / 2.0 : t;
  return *settings_.lr * alpha + start_rate_ * (1.0 - alpha);
}

bool StochasticWeightAverage::on_epoch_end(const EpochRecord& record, Model& model) {
  if (record.epoch < settings_.start_epoch) return true;
  if (record.epoch == settings_.start_epoch) start_rate_ = record.learning_rate;
  // The running mean of the epochs' weights: average += (weights - average) / (epochs averaged + 1).
  if (averaged_ == 0) average_.copy_from(model);
  else average_.blend(model, static_cast<double>(averaged_) / static_cast<double>(averaged_ + 1));
  ++averaged_;
  return true;
}

void StochasticWeightAverage::on_train_end(Model& model) {
  if (averaged_ > 0) average_.put_into(model);
}

std::string StochasticWeightAverage::state_kind() const { return "swa"; }

CallbackState StochasticWeightAverage::state() const {
  return {state_kind(), {{"averaged", averaged_}, {"start_rate", start_rate_}}, average_.to_host()};
}

void StochasticWeightAverage::restore_state(const CallbackState& state, Model& model) {
  const auto& averaged = state.values.at("averaged");
  const auto& start_rate = state.values.at("start_rate");
  if (!averaged.is_number_integer() || averaged.get<std::int64_t>() < 0 || !start_rate.is_number() || !(start_rate.get<double>() >= 0.0))
    throw InvalidArgument(fmt::format("averaged must be a count and start_rate a rate >= 0, got {} and {}", averaged.dump(), start_rate.dump()));
  if ((averaged.get<std::int64_t>() == 0) != state.weights.empty())
    throw InvalidArgument(fmt::format("it averaged {} epochs but keeps {} weight tensors", averaged.get<std::int64_t>(), state.weights.size()));
  average_.restore(state.weights, model);
  averaged_ = averaged.get<std::int64_t>();
  start_rate_ = start_rate.get<double>();
}

}  // namespace nnplug
