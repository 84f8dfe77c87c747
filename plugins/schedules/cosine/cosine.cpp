// Schedule 'cosine' (torch.optim.lr_scheduler.CosineAnnealingLR, closed form):
// eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2; T_max required, eta_min 0.
#include <cmath>
#include <numbers>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Cosine final : public Schedule {
 public:
  Cosine(std::int64_t t_max, double eta_min) : t_max_(t_max), eta_min_(eta_min) {}
  std::string type() const override { return "cosine"; }
  double learning_rate(double base_lr, std::int64_t epoch, std::int64_t) const override {
    const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_);
    return eta_min_ + (base_lr - eta_min_) * (1.0 + std::cos(phase)) / 2.0;
  }

 private:
  std::int64_t t_max_;
  double eta_min_;
};

}  // namespace

NNPLUG_PLUGIN("cosine", "0.1.0", "schedule:cosine", 0) {
  registrar.add_schedule("cosine", [](const Params& p) {
    const auto t_max = p.require_integer("T_max", 1);
    const double eta_min = p.number("eta_min", 0.0, 0.0);
    p.check_unused();
    return std::make_unique<Cosine>(t_max, eta_min);
  });
}
