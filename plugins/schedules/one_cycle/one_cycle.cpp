// Schedule 'one_cycle' (torch.optim.lr_scheduler.OneCycleLR, Smith's 1cycle policy), stepped every optimizer step:
// from max_lr / div_factor up to max_lr over the first pct_start of total_steps, then down to
// max_lr / (div_factor * final_div_factor) by the last step, along a cosine (anneal_strategy "cos") or a line
// ("linear"). three_phase: up, back down to the start over as many steps, then to the minimum. max_lr is the
// optimizer's rate unless given; total_steps, or epochs and steps_per_epoch, are required. cycle_momentum (true)
// moves the optimizer's momentum (SGD's and RMSprop's momentum, the Adams' beta1) against the rate, between
// base_momentum 0.85 and max_momentum 0.95, as PyTorch does; an optimizer without one is refused at its first step,
// as PyTorch refuses it. The one difference from PyTorch: steps past total_steps keep the last values instead of
// raising an error.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <utility>

#include "../shared/cycled_momentum.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class OneCycle final : public Schedule {
 public:
  struct Settings {
    std::optional<double> max_lr;
    std::int64_t total_steps;
    double pct_start, div_factor, final_div_factor;
    bool cosine, three_phase;
    std::optional<std::pair<double, double>> momentum;  // base and max momentum, when cycled
  };
  explicit OneCycle(Settings s) : s_(s) {}
  std::string type() const override { return "one_cycle"; }

  double learning_rate(double base_lr, std::int64_t, std::int64_t step) const override {
    const double max_lr = s_.max_lr.value_or(base_lr), initial = max_lr / s_.div_factor, min = initial / s_.final_div_factor;
    return along(step, {initial, max_lr, s_.three_phase ? initial : min, min});
  }

  // Against the rate: from max down to base while the rate rises, back up while it falls (and held at max in
  // three_phase's last phase).
  std::optional<double> momentum(std::int64_t, std::int64_t step) const override {
    if (!s_.momentum) return std::nullopt;
    const auto [base, max] = *s_.momentum;
    return along(step, {max, base, max, max});
  }

 private:
  // The value at `step` of a cycle whose phases run from points[i] to points[i + 1]: two phases, or three. Each
  // phase ends at a step (a real number, as PyTorch's); the first starts at step 0.
  double along(std::int64_t step, std::array<double, 4> points) const {
    const double total = static_cast<double>(s_.total_steps), rise = s_.pct_start * total - 1.0;
    const std::array<double, 3> ends = s_.three_phase ? std::array<double, 3>{rise, 2.0 * s_.pct_start * total - 2.0, total - 1.0}
                                                      : std::array<double, 3>{rise, total - 1.0, total - 1.0};
    if (!s_.three_phase) points[2] = points[3];
    const std::size_t count = s_.three_phase ? 3 : 2;
    const double t = static_cast<double>(std::min(step, s_.total_steps - 1));
    std::size_t i = 0;
    while (i + 1 < count && t > ends[i]) ++i;
    const double start_step = i == 0 ? 0.0 : ends[i - 1], pct = (t - start_step) / (ends[i] - start_step);
    const double from = points[i], to = points[i + 1];
    return s_.cosine ? to + (from - to) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0) : (to - from) * pct + from;
  }

  Settings s_;
};

}  // namespace

NNPLUG_PLUGIN("one_cycle", "0.1.0", "schedule:one_cycle", 0) {
  registrar.add_schedule("one_cycle", [](const Params& p) {
    OneCycle::Settings s{};
    if (p.has("max_lr")) s.max_lr = p.require_number("max_lr", 0.0);
    if (p.has("total_steps")) {
      s.total_steps = p.require_integer("total_steps", 2, std::int64_t{1} << 50);
    } else if (p.has("epochs") && p.has("steps_per_epoch")) {
      s.total_steps = p.require_integer("epochs", 1, std::int64_t{1} << 25) * p.require_integer("steps_per_epoch", 1, std::int64_t{1} << 25);
    } else {
      p.fail("", "needs total_steps, or epochs and steps_per_epoch: the number of optimizer steps the cycle spans");
    }
    s.pct_start = p.number("pct_start", 0.3, 0.0, 1.0);
    s.div_factor = p.number("div_factor", 25.0, 1.0);
    s.final_div_factor = p.number("final_div_factor", 1e4, 1.0);
    const std::string anneal = p.string("anneal_strategy", "cos");
    if (anneal != "cos" && anneal != "linear") p.fail("anneal_strategy", fmt::format("must be \"cos\" or \"linear\", got \"{}\"", anneal));
    s.cosine = anneal == "cos";
    s.three_phase = p.boolean("three_phase", false);
    s.momentum = schedules::cycled_momentum(p, 0.85, 0.95);
    // Every phase must span at least one step, or its rate would divide by zero.
    const double rise = s.pct_start * static_cast<double>(s.total_steps) - 1.0;
    const double last = s.three_phase ? 2.0 * rise : rise;
    if (!(rise > 0.0) || !(last < static_cast<double>(s.total_steps) - 1.0))
      p.fail("pct_start", fmt::format("{} of {} steps leaves a phase of the cycle without steps", s.pct_start, s.total_steps));
    p.check_unused();
    return std::make_unique<OneCycle>(s);
  });
}
