// nnplug sanity-check SPEC: the chapter's checks before learning (sanity_checks.hpp): the initial loss against the
// loss at chance, the loss rising with the regularization strength, then a tiny subset overfitted. Exits 1 when the
// subset cannot be fitted; the other two are warnings, as the chapter makes the first ("initialization may be
// broken").
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

  Experiment regularized = build_experiment(spec, registry, overrides);
  const RegularizationCheck regularization = check_regularization(regularized);
  if (!regularization.applies) {
    fmt::print("regularization: the spec puts no penalty on a parameter (weight_decay acts in the optimizer's step, outside the loss)\n");
  } else {
    const auto [zero, one, ten] = regularization.losses;
    fmt::print("regularization: the initial loss at 0, 1 and 10 times the spec's penalties {:.4f}, {:.4f}, {:.4f}: {}\n", zero, one, ten,
               regularization.rises() ? "rises, as it should" : "does NOT rise: a regularizer adds nothing to the loss, or lowers it");
  }

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
