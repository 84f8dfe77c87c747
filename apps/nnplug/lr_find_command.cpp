// nnplug lr-find SPEC: the learning-rate range test on the model a spec describes (with its optimizer and
// batch size): the loss against an exponentially growing learning rate, and a suggested rate.
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/lr_finder.hpp"

namespace nnplug::cli {

int lr_find(const LrFindArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  Overrides overrides;
  overrides.backend = args.backend;
  Experiment ex = build_experiment(spec, registry, overrides);
  LrFindSettings s;
  s.min_lr = args.min_lr, s.max_lr = args.max_lr, s.steps = args.steps;
  s.batch_size = args.batch_size ? args.batch_size : ex.fit.batch_size;
  s.seed = ex.fit.seed;
  s.check();  // before the banner, and before the sweep's work
  if (!args.csv.empty()) require_writable_destination(args.csv, "the learning-rate sweep");
  fmt::print("sweeping {} from {:g} to {:g} over {} steps of {} samples\n",
             ex.optimizer->type().c_str(), s.min_lr, s.max_lr, static_cast<long long>(s.steps), static_cast<long long>(s.batch_size));
  std::fflush(stdout);
  const LrFindResult r = find_learning_rate(*ex.model, ex.loss, ex.optimizer, ex.train, s);

  fmt::print("{:>14} {:>12} {:>12}\n", "learning rate", "loss", "smoothed");
  const std::size_t every = std::max<std::size_t>(1, r.losses.size() / 20);
  for (std::size_t i = 0; i < r.losses.size(); ++i)
    if (i % every == 0 || i + 1 == r.losses.size()) fmt::print("{:14.3e} {:12.4f} {:12.4f}\n",
                                                               r.learning_rates[i], r.losses[i], r.smoothed[i]);
  fmt::print("{} after {} steps\n", r.diverged ? "the loss diverged" : "the sweep ended", r.losses.size());
  if (r.suggested_lr > 0) {
    fmt::print("lowest smoothed loss at lr {:.3e}; steepest descent at lr {:.3e}\n", r.minimum_lr, r.steepest_lr);
    fmt::print("suggested learning rate: {:.3e} (a tenth of the rate at the lowest loss)\n", r.suggested_lr);
  } else {
    fmt::print("too few steps to suggest a learning rate: raise --steps or lower --min-lr\n");
  }
  if (!args.csv.empty()) {
    std::string csv = "learning_rate,loss,smoothed\n";
    for (std::size_t i = 0; i < r.losses.size(); ++i)
      fmt::format_to(std::back_inserter(csv), "{:.10g},{:.10g},{:.10g}\n", r.learning_rates[i], r.losses[i], r.smoothed[i]);
    write_text_atomically(args.csv, csv, "the learning-rate sweep");
    fmt::print("wrote {}\n", args.csv.c_str());
  }
  return 0;
}

}  // namespace nnplug::cli
