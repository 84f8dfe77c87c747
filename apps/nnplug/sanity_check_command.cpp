// nnplug sanity-check SPEC: the chapter's checks before learning (sanity_checks.hpp): the initial loss against the
// loss at chance, then a tiny subset overfitted. Exits 1 when the subset cannot be fitted; an initial loss far from
// chance is a warning, as the chapter makes it ("initialization may be broken").
#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/sanity_checks.hpp"

namespace nnplug::cli {

int sanity_check(const SanityCheckArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  Overrides overrides;
  overrides.backend = args.backend;
  Experiment ex = build_experiment(without_regularization(spec), registry, overrides);

  const InitialLossCheck initial = check_initial_loss(ex);
  fmt::print("initial loss {:.4f} on {} training samples, without regularization; at chance (every parameter 0) {:.4f}: {}\n", initial.loss,
             initial.samples, initial.chance,
             initial.as_expected() ? "as expected"
                                   : fmt::format("{:+.0f} % off; the chapter expects the loss at chance from small weights: check the "
                                                 "initialization and the inputs' scale",
                                                 100.0 * (initial.loss / initial.chance - 1.0)));

  const OverfitCheck overfit = check_overfit(spec, registry, ex, overrides, args.samples, args.max_epochs);
  const char* score = score_name(overfit.last.kind);
  fmt::print("overfitting {} samples, full batch, without regularization: {} epochs, loss {:.4f} -> {:.4f}, {} {:.4f} -> {:.4f}: {}\n",
             overfit.samples, overfit.epochs, overfit.first.loss, overfit.last.loss, score, overfit.first.score, overfit.last.score,
             overfit.passed ? "passed" : "FAILED");
  if (!overfit.passed)
    fmt::print("the model cannot fit {} samples; the chapter: unless this passes, training on the whole data set is not worth it. "
               "Likely causes: too small a model, too low or too high a learning rate, dropout (which stays on), or a bug\n",
               overfit.samples);
  return overfit.passed ? 0 : 1;
}

}  // namespace nnplug::cli
