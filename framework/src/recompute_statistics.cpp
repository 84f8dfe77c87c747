// Trainer::recompute_statistics. The Layer interface does not name a layer's running statistics, so they are found
// as what they are: the non-trainable parameters that a training-mode pass changes. Each is taken to follow batch
// norm's moving average, new = (1 - m) * old + m * batch, with a momentum m that only the layer knows: two passes of
// the first batch, from statistics of 1 and of 0, differ by 1 - m; a pass of every batch from 0 gives m * batch, so
// that the mean over the batches is the sum of those passes over (batches * m), as PyTorch's cumulative average
// (momentum None) gives it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

namespace {

struct Statistic {
  Parameter* parameter;
  std::string owner;          // "layers[1] (batch_norm): running_mean"
  std::vector<double> start;  // its values before the first pass
  std::vector<double> sum;    // of m * batch over the passes
  double momentum = 0.0;
};

// m, from a pass that started from 1 (`from_one`) and one that started from 0 (`from_zero`) over the same batch.
double momentum_of(const Statistic& s, const std::vector<double>& from_one, const std::vector<double>& from_zero, DType dtype) {
  double keep = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < from_one.size(); ++i) {
    keep += from_one[i] - from_zero[i];
    scale = std::max({scale, std::fabs(from_one[i]), std::fabs(from_zero[i])});
  }
  keep /= static_cast<double>(from_one.size());
  // Both passes compute the same batch's statistics, so their difference is 1 - m up to rounding at their scale.
  const double tolerance = 1e3 * scale * (dtype == DType::Float64 ? std::numeric_limits<double>::epsilon() : std::numeric_limits<float>::epsilon());
  bool uniform = true;
  for (std::size_t i = 0; i < from_one.size(); ++i) uniform = uniform && std::fabs(from_one[i] - from_zero[i] - keep) <= tolerance;
  if (!uniform || !(keep > -tolerance && keep < 1.0 - tolerance))
    throw Error(fmt::format("{}: a training pass changes this non-trainable parameter, but not as a moving average of the batch's "
                            "statistics ((1 - m) * old + m * batch, as batch norm keeps them), so it cannot be gathered again for "
                            "averaged weights; set update_bn to false",
                            s.owner));
  return 1.0 - std::max(keep, 0.0);
}

}  // namespace

void Trainer::recompute_statistics(const Dataset& data, std::int64_t batch_size, bool drop_last) {
  if (batch_size <= 0) throw InvalidArgument(fmt::format("batch_size must be a positive integer, got {}", batch_size));
  const std::int64_t n = data.size();
  const std::int64_t batches = batches_in_epoch(n, batch_size, drop_last);
  std::vector<std::int64_t> starts;  // of the batches that give every rank a sample
  for (std::int64_t b = 0; b < batches; ++b)
    if (std::min(n, (b + 1) * batch_size) - b * batch_size >= ranks()) starts.push_back(b * batch_size);
  if (starts.empty())
    throw InvalidArgument(fmt::format("cannot gather the running statistics again: the {} samples make no batch of at least one sample "
                                      "for each of the {} ranks", n, ranks()));

  std::vector<Statistic> candidates;
  for (std::size_t i = 0; i < model_.size(); ++i)
    for (Parameter* p : model_.layer(i).parameters())
      if (!p->trainable && p->value.numel() > 0)
        candidates.push_back({p, fmt::format("{}: {}", model_.label(i), p->name), to_host<double>(p->value), {}});
  if (candidates.empty()) return;

  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const auto counters = model_.counters();  // put back at the end: these passes draw dropout masks that no step trains with
  model_.set_training(true);
  const auto pass = [&](std::int64_t start) {
    const Shard shard = shard_of(std::min(n, start + batch_size) - start, rank(), ranks());
    load_batch(data, order, start + shard.begin, start + shard.end);
    model_.set_sample_offset(shard.begin);
    model_.backend().run_step("recompute statistics", [&] { model_.forward(x_); });
  };
  // Passes from statistics of `value`; again: of the first batch once more, drawing the dropout masks it drew before.
  const auto pass_from = [&](const std::vector<Statistic>& statistics, double value, std::int64_t start, bool again) {
    for (const Statistic& s : statistics) model_.backend().run(op::Fill{s.parameter->value, value});
    if (again) model_.set_counters(counters);
    pass(start);
  };

  pass(starts.front());
  std::vector<Statistic> statistics;
  for (Statistic& c : candidates)
    if (to_host<double>(c.parameter->value) != c.start) statistics.push_back(std::move(c));
  const auto restore = [&] {
    model_.set_counters(counters);
    model_.set_sample_offset(0);
  };
  if (statistics.empty()) return restore();  // frozen weights only, which the pass left as they were
  pass_from(statistics, 1.0, starts.front(), true);
  std::vector<std::vector<double>> from_one;
  for (const Statistic& s : statistics) from_one.push_back(to_host<double>(s.parameter->value));
  pass_from(statistics, 0.0, starts.front(), true);
  for (std::size_t k = 0; k < statistics.size(); ++k) {
    Statistic& s = statistics[k];
    s.sum = to_host<double>(s.parameter->value);
    s.momentum = momentum_of(s, from_one[k], s.sum, model_.dtype());
  }
  for (std::size_t b = 1; b < starts.size(); ++b) {
    pass_from(statistics, 0.0, starts[b], false);
    for (Statistic& s : statistics) {
      const auto values = to_host<double>(s.parameter->value);
      std::ranges::transform(s.sum, values, s.sum.begin(), std::plus<>());
    }
  }

  // Each rank's mean over its shares of the batches, averaged over the ranks (the same where batch norm synchronises).
  std::vector<double> sums;
  for (const Statistic& s : statistics) sums.insert(sums.end(), s.sum.begin(), s.sum.end());
  const double divisor = static_cast<double>(starts.size()) * ranks();
  if (ranks() > 1) sums = sum_over_ranks(*communicator_, sums);
  auto next = sums.begin();
  for (const Statistic& s : statistics) {
    std::vector<double> mean(next, next + static_cast<std::ptrdiff_t>(s.sum.size()));
    next += static_cast<std::ptrdiff_t>(s.sum.size());
    for (double& v : mean) v /= divisor * s.momentum;
    from_host(s.parameter->value, mean);
  }
  restore();
}

}  // namespace nnplug
