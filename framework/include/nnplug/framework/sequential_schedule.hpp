#pragma once
// Schedule 'sequential' (torch.optim.lr_scheduler.SequentialLR): schedules one after another, the next taking over at
// each milestone, as "linear warmup, then cosine decay". It combines other schedules, so the registry builds it
// (Registry::create_schedule) rather than a plugin.
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "nnplug/params.hpp"
#include "nnplug/schedule.hpp"

namespace nnplug {

class Registry;

// "schedules": the schedules in order; "milestones": where each after the first takes over, increasing, one fewer
// than the schedules; "per": whether the milestones count epochs (the default) or optimizer steps. Each schedule's
// clock starts at 0 at its milestone and counts in the sequential's unit, whatever its own "per" says.
class SequentialSchedule final : public Schedule {
 public:
  SequentialSchedule(std::vector<std::shared_ptr<Schedule>> schedules, std::vector<std::int64_t> milestones, bool per_step);
  static std::shared_ptr<Schedule> create(const Params& p, const Registry& registry);
  std::string type() const override { return "sequential"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t step) const override;
  // The momentum of the schedule in charge, if it cycles one.
  std::optional<double> momentum(std::int64_t epoch, std::int64_t step) const override;

 private:
  // The schedule in charge at this point, and its clock.
  std::pair<const Schedule*, std::int64_t> current(std::int64_t epoch, std::int64_t step) const;

  std::vector<std::shared_ptr<Schedule>> schedules_;
  std::vector<std::int64_t> milestones_;
  bool per_step_;
};

}  // namespace nnplug
