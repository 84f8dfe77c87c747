#include "nnplug/framework/lr_finder.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {

double sweep_learning_rate(const LrFindSettings& s, std::int64_t k) {
  if (s.steps < 2) return s.min_lr;
  return s.min_lr * std::pow(s.max_lr / s.min_lr, static_cast<double>(k) / static_cast<double>(s.steps - 1));
}

namespace {

class Sweep final : public Schedule {
 public:
  explicit Sweep(LrFindSettings s) : s_(s) {}
  std::string type() const override { return "lr_find_sweep"; }
  double learning_rate(double, std::int64_t, std::int64_t step) const override { return sweep_learning_rate(s_, step); }

 private:
  LrFindSettings s_;
};

class Recorder final : public Callback {
 public:
  Recorder(const LrFindSettings& s, LrFindResult& r) : s_(s), r_(r) {}
  bool on_batch_end(const BatchRecord& b, Model&) override {
    average_ = s_.smoothing * average_ + (1 - s_.smoothing) * b.loss;
    const double smoothed = average_ / (1 - std::pow(s_.smoothing, static_cast<double>(b.step)));
    r_.learning_rates.push_back(b.learning_rate);
    r_.losses.push_back(b.loss);
    r_.smoothed.push_back(smoothed);
    best_ = std::min(best_, smoothed);
    if (!std::isfinite(smoothed) || smoothed > s_.divergence * best_) {
      r_.diverged = true;
      return false;
    }
    return b.step < s_.steps;
  }

 private:
  LrFindSettings s_;
  LrFindResult& r_;
  double average_ = 0.0, best_ = INFINITY;
};

// The suggestions from the smoothed curve. The first tenth of the sweep is skipped for the steepest slope: the
// moving average is still settling there.
void suggest(LrFindResult& r) {
  const auto& lr = r.learning_rates;
  const auto& y = r.smoothed;
  if (y.size() < 5) return;
  const auto minimum = static_cast<std::size_t>(std::min_element(y.begin(), y.end()) - y.begin());
  r.minimum_lr = lr[minimum];
  r.suggested_lr = r.minimum_lr / 10;
  double steepest = INFINITY;
  for (std::size_t i = std::max<std::size_t>(1, y.size() / 10); i + 1 <= minimum; ++i) {
    const double slope = (y[i + 1] - y[i - 1]) / (std::log(lr[i + 1]) - std::log(lr[i - 1]));
    if (slope < steepest) steepest = slope, r.steepest_lr = lr[i];
  }
}

}  // namespace

void LrFindSettings::check() const {
  if (!(min_lr > 0) || !(max_lr > min_lr)) throw InvalidArgument(fmt::format("lr-find: needs 0 < min_lr < max_lr, got {} and {}", min_lr, max_lr));
  // A bound that keeps the sweep's epoch count an int; fast.ai's sweep takes 100 steps.
  constexpr std::int64_t kMaxSteps = 1000000;
  if (steps < 5 || steps > kMaxSteps) throw InvalidArgument(fmt::format("lr-find: needs 5 to {} steps, got {}", kMaxSteps, steps));
  if (batch_size <= 0) throw InvalidArgument("lr-find: the batch size must be positive");
}

LrFindResult find_learning_rate(Model& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer, const Dataset& train,
                                const LrFindSettings& s) {
  s.check();
  LrFindResult result;
  FitOptions fit;
  const std::int64_t batches = (train.size() + s.batch_size - 1) / s.batch_size;
  fit.epochs = static_cast<int>((s.steps + batches - 1) / std::max<std::int64_t>(batches, 1));
  fit.batch_size = s.batch_size;
  fit.seed = s.seed;
  fit.progress = false;
  fit.schedule = std::make_shared<Sweep>(s);
  fit.callbacks.push_back(std::make_shared<Recorder>(s, result));
  Trainer trainer(model, std::move(loss), std::move(optimizer));
  try {
    trainer.fit(train, nullptr, fit);
  } catch (const Error&) {
    // After some steps, the loss became NaN or infinite: the sweep went past every usable rate, which is what it
    // looks for. Before any step, the error is the spec's.
    if (result.losses.empty()) throw;
    result.diverged = true;
  }
  suggest(result);
  return result;
}

}  // namespace nnplug
