#include "nnplug/framework/sequential_schedule.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nnplug/framework/registry.hpp"

namespace nnplug {

SequentialSchedule::SequentialSchedule(std::vector<std::shared_ptr<Schedule>> schedules, std::vector<std::int64_t> milestones, bool per_step)
    : schedules_(std::move(schedules)), milestones_(std::move(milestones)), per_step_(per_step) {}

std::shared_ptr<Schedule> SequentialSchedule::create(const Params& p, const Registry& registry) {
  p.accept({"schedules", "milestones"});
  const Params::Json& list = p.json().value("schedules", Params::Json());
  if (!list.is_array() || list.size() < 2) p.fail("schedules", "must list two schedules or more, run one after another");
  std::vector<std::shared_ptr<Schedule>> schedules;
  for (std::size_t i = 0; i < list.size(); ++i)
    schedules.push_back(registry.create_schedule(Params(fmt::format("{} schedules[{}]", p.owner(), i), list[i])));
  std::vector<std::int64_t> milestones;
  for (const double m : p.numbers("milestones", {}, list.size() - 1, 1.0, 1e15)) {
    if (m != std::floor(m) || (!milestones.empty() && m <= static_cast<double>(milestones.back())))
      p.fail("milestones", "must be whole numbers from 1, increasing: where each schedule after the first takes over");
    milestones.push_back(static_cast<std::int64_t>(m));
  }
  if (milestones.size() + 1 != schedules.size())
    p.fail("milestones", fmt::format("must give where each of the {} schedules after the first takes over", schedules.size() - 1));
  const bool per_step = counts_steps(p, "epoch");
  p.check_unused();
  return std::make_shared<SequentialSchedule>(std::move(schedules), std::move(milestones), per_step);
}

std::pair<const Schedule*, std::int64_t> SequentialSchedule::current(std::int64_t epoch, std::int64_t step) const {
  const std::int64_t t = per_step_ ? step : epoch;
  const auto at = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), t) - milestones_.begin());
  return {schedules_[at].get(), t - (at == 0 ? 0 : milestones_[at - 1])};
}

double SequentialSchedule::learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const {
  const auto [schedule, since] = current(epoch, step);
  return schedule->learning_rate(base_lr, since, since);
}

std::optional<double> SequentialSchedule::momentum(std::int64_t epoch, std::int64_t step) const {
  const auto [schedule, since] = current(epoch, step);
  return schedule->momentum(since, since);
}

}  // namespace nnplug
