#include "nnplug/framework/target_scaling.hpp"

#include <cmath>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

TargetScaling TargetScaling::fit(const std::vector<float>& targets, std::int64_t width) {
  const auto w = static_cast<std::size_t>(width);
  if (w == 0 || targets.empty() || targets.size() % w != 0)
    throw InvalidArgument(fmt::format("standardize_targets needs rows of value targets, got {} values of width {}", targets.size(), width));
  const double rows = static_cast<double>(targets.size() / w);
  TargetScaling s;
  s.mean_.assign(w, 0.0);
  s.std_.assign(w, 0.0);
  for (std::size_t i = 0; i < targets.size(); ++i) s.mean_[i % w] += targets[i];
  for (double& m : s.mean_) m /= rows;
  for (std::size_t i = 0; i < targets.size(); ++i) s.std_[i % w] += (targets[i] - s.mean_[i % w]) * (targets[i] - s.mean_[i % w]);
  for (double& sd : s.std_) sd = sd > 0.0 ? std::sqrt(sd / rows) : 1.0;
  return s;
}

void TargetScaling::standardize(std::span<float> rows) const {
  if (empty()) return;
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = static_cast<float>((rows[i] - mean_[i % mean_.size()]) / std_[i % mean_.size()]);
}

void TargetScaling::restore(std::span<float> rows) const {
  if (empty()) return;
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(rows[i] * std_[i % mean_.size()] + mean_[i % mean_.size()]);
}

nlohmann::json TargetScaling::to_json() const { return {{"mean", mean_}, {"std", std_}}; }

TargetScaling TargetScaling::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw InvalidArgument(fmt::format("must be an object {{\"mean\": [...], \"std\": [...]}}, got {}", Params::shown(j)));
  TargetScaling s;
  for (const auto& [key, into] : {std::pair<const char*, std::vector<double>*>{"mean", &s.mean_}, {"std", &s.std_}}) {
    const bool positive = into == &s.std_;
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array() || it->empty() || (positive && it->size() != s.mean_.size()))
      throw InvalidArgument(positive ? fmt::format("'std' must be a list of {} numbers, one per mean", s.mean_.size())
                                     : std::string("'mean' must be a list of numbers, one per output"));
    for (const auto& v : *it) {
      if (!v.is_number() || !std::isfinite(v.get<double>()) || (positive && !(v.get<double>() > 0.0)))
        throw InvalidArgument(fmt::format("'{}' holds {}, not a {}finite number", key, Params::shown(v), positive ? "positive " : ""));
      into->push_back(v.get<double>());
    }
  }
  return s;
}

}  // namespace nnplug
