// nnplug cross-validate SPEC: k-fold cross-validation (cross_validation.hpp), as scikit-learn's cross_val_score:
// one model per fold, trained on the others as the spec says and scored on the fold it left out. Prints each fold
// and the mean and standard deviation of the scores; --json keeps them. Started by mpirun, the ranks share the folds
// out, and rank 0 alone prints and writes.
#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/cross_validation.hpp"

namespace nnplug::cli {

namespace {

int cross_validate_on(const CrossValidateArgs& args, Registry& registry, const Spec& spec, Communicator& communicator) {
  const bool lead = communicator.rank() == 0, distributed = communicator.size() > 1;
  require_same_start(communicator, "the spec and the cross-validation options (--set, --folds, --epochs, ...)",
                     fmt::format("{} --folds {} --epochs {} --backend {}", spec.json.dump(), args.folds, args.epochs.value_or(-1), args.backend),
                     registry);
  Overrides overrides;
  overrides.backend = args.backend;
  overrides.epochs = args.epochs;
  if (lead) {
    if (!args.json.empty()) require_writable_destination(args.json, "the cross-validation results");  // before the folds' work
    fmt::print("{}-fold cross-validation of {}: each fold scored by a model trained on the others{}\n", args.folds, args.spec.string(),
               distributed ? fmt::format("; the folds shared out over {} ranks ({})", communicator.size(), communicator.name()) : "");
    std::fflush(stdout);
  }
  const auto print_fold = [&](const FoldResult& r) {
    fmt::print("fold {:>2}/{}  loss {:.4f}  {} {:.4f}  ({} samples, {:.1f} s)\n", r.fold, args.folds, r.scores.loss, score_name(r.scores.kind),
               r.scores.score, r.samples, r.seconds);
    std::fflush(stdout);
  };
  // One process prints each fold as it ends; ranks print nothing until rank 0 has every fold's result.
  const auto results = nnplug::cross_validate(spec, registry, args.folds, overrides, [&](const FoldResult& r, const Experiment&) {
    if (!distributed) print_fold(r);
  }, &communicator);
  if (distributed && lead)
    for (const auto& r : results) print_fold(r);
  if (!lead) return 0;
  // The mean and the population standard deviation over the folds, as np.mean and np.std of cross_val_score's.
  const auto n = static_cast<double>(results.size());
  double loss = 0, score = 0, loss_sq = 0, score_sq = 0;
  std::int64_t samples = 0;
  for (const auto& r : results) loss += r.scores.loss / n, score += r.scores.score / n, samples += r.samples;
  for (const auto& r : results) loss_sq += std::pow(r.scores.loss - loss, 2) / n, score_sq += std::pow(r.scores.score - score, 2) / n;
  const char* name = score_name(results.front().scores.kind);
  fmt::print("mean {} {:.4f} (std {:.4f}), mean loss {:.4f} (std {:.4f}), over {} folds of {} samples\n", name, score, std::sqrt(score_sq), loss,
             std::sqrt(loss_sq), results.size(), samples);
  if (!args.json.empty()) {
    nlohmann::json j = {{"folds", nlohmann::json::array()}, {"score", name}};
    for (const auto& r : results)
      j["folds"].push_back({{"fold", r.fold}, {"samples", r.samples}, {"loss", r.scores.loss}, {name, r.scores.score}, {"seconds", r.seconds}});
    j["mean"] = {{"loss", loss}, {name, score}};
    j["std"] = {{"loss", std::sqrt(loss_sq)}, {name, std::sqrt(score_sq)}};
    write_text_atomically(args.json, j.dump(2) + "\n", "the cross-validation results");
    fmt::print("wrote {}\n", args.json.string());
  }
  return 0;
}

}  // namespace

int cross_validate(const CrossValidateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  const Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  const auto communicator = create_communicator(spec, registry, args.communicator);
  return run_on_every_rank(*communicator, [&] { return cross_validate_on(args, registry, spec, *communicator); });
}

}  // namespace nnplug::cli
