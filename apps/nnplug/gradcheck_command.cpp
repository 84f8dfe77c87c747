// nnplug gradcheck SPEC: the chapter's gradient check on the model a spec describes, built in float64: a few
// training samples, a few coordinates of every parameter tensor, dropout off; first the data loss alone, then
// with the penalties when the model has any. Exits 1 when a tensor's verdict is "suspicious" or "wrong".

#include <algorithm>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_gradient_check.hpp"

namespace nnplug::cli {

namespace {

// Prints one pass; returns whether every tensor is at most "ok with kinks".
bool report(const char* title, const std::vector<TensorCheck>& checks, double step) {
  std::size_t width = 28;  // the longest label: a graph's module paths run long
  for (const auto& c : checks) width = std::max(width, c.layer.size());
  fmt::print("\n{}\n{:<{}} {:<10} {:>7} {:>12} {:>13} {:>13}  {}\n",
             title, "layer", width, "parameter", "checked", "worst error", "analytic", "numeric", "verdict");
  bool ok = true, tiny = false;
  for (const auto& c : checks) {
    const std::string verdict = gradient_verdict(c.worst_error);
    ok = ok && (verdict == "pass" || verdict == "ok with kinks");
    tiny = tiny || c.largest_gradient < 1e-10;
    std::string notes;
    if (c.kinks_crossed > 0)  // a kink within h at these coordinates: measured again at h/10 or h/100
      notes += fmt::format(" (a kink within h at {} of them{})", c.kinks_crossed,
                           c.worst_step != step ? fmt::format("; this row at h = {:g}", c.worst_step) : "");
    if (c.at_a_kink > 0) notes += fmt::format(" (on a kink at {} of them: a one-sided derivative)", c.at_a_kink);
    if (c.within_rounding > 0) notes += fmt::format(" ({} of them 0 within rounding)", c.within_rounding);
    if (c.unresolved > 0) notes += fmt::format(" ({} of them agree within the differences' own error)", c.unresolved);
    if (c.largest_gradient < 1e-10) notes += " (gradients below 1e-10)";
    fmt::print("{:<{}} {:<10} {:>7} {:12.3e} {:13.6e} {:13.6e}  {}{}\n",
               c.layer, width, c.parameter, c.checked, c.worst_error, c.analytic, c.numeric, verdict, notes);
  }
  if (tiny)
    fmt::print("warning: some gradients are below 1e-10, where rounding dominates: check with more samples or another point\n");
  return ok;
}

}  // namespace

int gradcheck(const GradcheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  spec.set("dtype=\"float64\"");  // float32 rounding alone gives relative errors near 1e-2 (the chapter)
  Overrides overrides;
  overrides.backend = args.backend;
  if (args.burn_in > 0) overrides.limit_train = std::max(args.samples, args.burn_in * args.batch_size);
  Experiment ex = build_experiment(spec, registry, overrides);
  fmt::print("backend: {} ({}), float64; {} samples, {} coordinates per tensor, h = {:g}\n",
             ex.backend->name().c_str(), ex.backend->device().c_str(), args.samples, args.coordinates, args.step);
  if (args.burn_in > 0) {
    // A check at the random initial point can miss errors that show later (the chapter): train a little first.
    FitOptions burn_in = ex.fit;
    burn_in.epochs = 1, burn_in.initial_epoch = 0, burn_in.batch_size = args.batch_size, burn_in.progress = false;
    burn_in.callbacks.clear();
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, burn_in);
    fmt::print("burn-in: {} steps of {} with batches of {}\n", args.burn_in, ex.optimizer->type().c_str(), args.batch_size);
  }
  ex.model->set_training(true);
  std::vector<std::string> off;
  for (std::size_t l = 0; l < ex.model->size(); ++l)
    if (ex.model->layer(l).type().ends_with("dropout")) {  // stochastic: each evaluation would see another function
      ex.model->layer(l).set_training(false);
      off.push_back(ex.model->label(l));
    }
  if (!off.empty()) fmt::print("dropout off: {}\n", fmt::join(off, ", "));
  const Dataset samples = ex.train.head(args.samples);
  GradientCheckSettings settings;
  settings.step = args.step, settings.coordinates = args.coordinates, settings.regularization = false;
  bool ok = report("data loss", check_model_gradients(*ex.model, *ex.loss, samples, settings), args.step);
  if (ex.model->has_penalties()) {
    settings.regularization = true;
    ok = report("data loss + penalties", check_model_gradients(*ex.model, *ex.loss, samples, settings), args.step) && ok;
  }
  fmt::print("\n{}\n", ok ? "gradient check passed (every relative error below 1e-4)"
                            : "gradient check FAILED: a relative error above 1e-4 at h, h/10 and h/100: the gradient is wrong (or, "
                              "where h is near rounding, try a larger --step such as 1e-4)");
  return ok ? 0 : 1;
}

}  // namespace nnplug::cli
