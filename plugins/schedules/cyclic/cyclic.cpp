// Schedule 'cyclic' (torch.optim.lr_scheduler.CyclicLR; Smith, "Cyclical Learning Rates for Training Neural
// Networks", WACV 2017), stepped every optimizer step: the rate climbs from base_lr to max_lr over step_size_up steps
// and back over step_size_down (step_size_up's unless given), cycle after cycle. `mode` scales each cycle's height:
// "triangular" (the default) keeps it, "triangular2" halves it every cycle, "exp_range" multiplies it by gamma^step.
// base_lr is the optimizer's rate unless given (PyTorch requires it); max_lr is required. cycle_momentum (true) moves
// the optimizer's momentum (SGD's and RMSprop's momentum, the Adams' beta1) against the rate, between base_momentum
// 0.8 and max_momentum 0.9, as PyTorch does; an optimizer without one is refused at its first step.
#include <cmath>
#include <optional>
#include <utility>

#include "../shared/cycled_momentum.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Cyclic final : public Schedule {
 public:
  enum class Mode { Triangular, Triangular2, ExpRange };
  struct Settings {
    std::optional<double> base_lr;
    double max_lr;
    std::int64_t step_size_up, step_size_down;
    Mode mode;
    double gamma;
    std::optional<std::pair<double, double>> momentum;  // base and max momentum, when cycled
  };
  explicit Cyclic(Settings s) : s_(s) {}
  std::string type() const override { return "cyclic"; }

  double learning_rate(double base_lr, std::int64_t, std::int64_t step) const override {
    const double low = s_.base_lr.value_or(base_lr);
    return low + (s_.max_lr - low) * height(step);
  }

  std::optional<double> momentum(std::int64_t, std::int64_t step) const override {
    if (!s_.momentum) return std::nullopt;
    const auto [base, max] = *s_.momentum;
    return max - (max - base) * height(step);
  }

 private:
  // Where `step` stands between the cycle's bottom (0) and its top (1), times the mode's scale, as PyTorch's get_lr.
  double height(std::int64_t step) const {
    const double total = static_cast<double>(s_.step_size_up + s_.step_size_down), up = static_cast<double>(s_.step_size_up) / total;
    const double t = static_cast<double>(step), cycle = std::floor(1.0 + t / total), x = 1.0 + t / total - cycle;
    const double rise = x <= up ? x / up : (x - 1.0) / (up - 1.0);
    switch (s_.mode) {
      case Mode::Triangular: return rise;
      case Mode::Triangular2: return rise / std::pow(2.0, cycle - 1.0);
      case Mode::ExpRange: return rise * std::pow(s_.gamma, t);
    }
    return rise;
  }

  Settings s_;
};

}  // namespace

NNPLUG_PLUGIN("cyclic", "0.1.0", "schedule:cyclic", 0) {
  registrar.add_schedule("cyclic", [](const Params& p) {
    Cyclic::Settings s{};
    if (p.has("base_lr")) s.base_lr = p.require_number("base_lr", 0.0);
    s.max_lr = p.require_number("max_lr", 0.0);
    s.step_size_up = p.integer("step_size_up", 2000, 1, std::int64_t{1} << 40);
    s.step_size_down = p.has("step_size_down") ? p.require_integer("step_size_down", 1, std::int64_t{1} << 40) : s.step_size_up;
    const std::string mode = p.string("mode", "triangular");
    if (mode == "triangular") s.mode = Cyclic::Mode::Triangular;
    else if (mode == "triangular2") s.mode = Cyclic::Mode::Triangular2;
    else if (mode == "exp_range") s.mode = Cyclic::Mode::ExpRange;
    else p.fail("mode", fmt::format("must be \"triangular\", \"triangular2\" or \"exp_range\", got \"{}\"", mode));
    s.gamma = p.number("gamma", 1.0, 0.0, 1.0);
    if (s.mode != Cyclic::Mode::ExpRange && p.has("gamma")) p.fail("gamma", fmt::format("scales only mode \"exp_range\", not \"{}\"", mode));
    s.momentum = schedules::cycled_momentum(p, 0.8, 0.9);
    p.check_unused();
    return std::make_unique<Cyclic>(s);
  });
}
