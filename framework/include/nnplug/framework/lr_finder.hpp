#pragma once
// The learning-rate finder (Leslie Smith's range test): train for a few hundred steps while the learning rate
// grows exponentially from min_lr to max_lr, record the loss of every step, and suggest a rate where the loss
// still falls steeply, well before it blows up.
#include <cstdint>
#include <memory>
#include <vector>

#include "nnplug/framework/trainer.hpp"

namespace nnplug {

struct LrFindSettings {
  double min_lr = 1e-7, max_lr = 10.0;
  std::int64_t steps = 100;
  double smoothing = 0.98;    // of the exponential moving average of the loss (bias-corrected)
  double divergence = 4.0;    // stop once the smoothed loss exceeds this multiple of its minimum
  std::int64_t batch_size = 32;
  std::uint64_t seed = 0;

  void check() const;  // throws InvalidArgument for a range, step count or batch size the sweep cannot run
};

struct LrFindResult {
  std::vector<double> learning_rates, losses, smoothed;  // one per step taken
  bool diverged = false;       // stopped early: the loss blew up (or became NaN)
  double minimum_lr = 0.0;     // where the smoothed loss is lowest
  double steepest_lr = 0.0;    // where it falls fastest against log(lr), before the minimum
  double suggested_lr = 0.0;   // minimum_lr / 10, the usual rule; 0 when the sweep is too short to tell
};

// The rate of step k (0-based) of the sweep: min_lr * (max_lr / min_lr)^(k / (steps - 1)).
double sweep_learning_rate(const LrFindSettings& settings, std::int64_t k);

// Trains `model` (changing it) with `optimizer` on `train`, the batches drawn in a seeded shuffled order, one
// more pass starting whenever the data runs out.
LrFindResult find_learning_rate(Model& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer, const Dataset& train,
                                const LrFindSettings& settings);

}  // namespace nnplug
