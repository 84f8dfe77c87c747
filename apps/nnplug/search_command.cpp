// nnplug search SPEC: random search of hyper-parameters (experiment X9): the ranges come from the spec's
// "search" section and --param; each trial trains a few epochs and is scored on the validation set only. Prints
// every trial, the top trials of each round and the narrowed ranges; --csv keeps every trial for plots. Started by
// mpirun, the ranks share out each round's trials, and rank 0 alone prints and writes.
#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/hyperparameter_search.hpp"

namespace nnplug::cli {

namespace {

std::string values_text(const std::vector<SearchDimension>& dims, const Trial& t) {
  std::string s;
  for (std::size_t d = 0; d < dims.size(); ++d) fmt::format_to(std::back_inserter(s), "{}{} {:.3g}", d ? "  " : "", dims[d].path, t.values[d]);
  return s;
}

// The score the trials report (a diverged trial has none): accuracy, or mae for value targets.
const char* trials_score(const std::vector<Trial>& trials) {
  const auto scored = std::find_if(trials.begin(), trials.end(), [](const Trial& t) { return t.ok(); });
  return score_name(scored == trials.end() ? ScoreKind::Accuracy : scored->validation.kind);
}

std::string trials_csv(const std::vector<SearchDimension>& dims, const std::vector<Trial>& trials) {
  std::string csv = "round,trial";
  const auto out = std::back_inserter(csv);
  for (const auto& d : dims) fmt::format_to(out, ",{}", d.path);
  fmt::format_to(out, ",train_loss,train_{0},val_loss,val_{0},seconds,failure\n", trials_score(trials));
  for (const auto& t : trials) {
    fmt::format_to(out, "{},{}", t.round, t.index);
    for (double v : t.values) fmt::format_to(out, ",{:.10g}", v);
    fmt::format_to(out, ",{:.10g},{:.10g},{:.10g},{:.10g},{:.10g},{}\n", t.train.loss, t.train.score, t.validation.loss,
                   t.validation.score, t.seconds, t.ok() ? "" : "diverged");
  }
  return csv;
}

int search_on(const SearchArgs& args, Registry& registry, const Spec& spec, Communicator& communicator) {
  const bool lead = communicator.rank() == 0;
  require_same_start(communicator, "the spec and the search options (--set, --param, --trials, ...)",
                     fmt::format("{} --param {} --trials {} --epochs {} --rounds {} --top {} --backend {}", spec.json.dump(), fmt::join(args.params, ","),
                                 args.trials.value_or(-1), args.epochs.value_or(-1), args.rounds.value_or(-1), args.top.value_or(-1), args.backend),
                     registry);
  SearchSettings settings;
  settings.seed = static_cast<std::uint64_t>(spec.json.value("seed", 0));
  std::vector<SearchDimension> dims;
  read_search_section(spec, settings, dims);
  for (const auto& p : args.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos) throw InvalidArgument("--param must be PATH=RANGE, e.g. optimizer.lr=log:1e-6:1e-2, got '" + p + "'");
    const auto d = SearchDimension::parse(p.substr(0, eq), p.substr(eq + 1));
    std::erase_if(dims, [&](const SearchDimension& x) { return x.path == d.path; });
    dims.push_back(d);
  }
  if (args.trials) settings.trials = *args.trials;
  if (args.epochs) settings.epochs = *args.epochs;
  if (args.rounds) settings.rounds = *args.rounds;
  if (args.top) settings.top = *args.top;
  Overrides overrides;
  overrides.backend = args.backend;
  if (lead) {
    if (!args.csv.empty()) require_writable_destination(args.csv, "the search results");  // before the trials' work
    fmt::print("random search: {} round{} of {} trials of {} epochs, scored on validation data{}\n", settings.rounds,
               settings.rounds == 1 ? "" : "s", settings.trials, settings.epochs,
               communicator.size() > 1 ? fmt::format("; each round's trials shared out over {} ranks ({})", communicator.size(), communicator.name()) : "");
    for (const auto& d : dims) fmt::print("  {}: {}\n", d.path.c_str(), d.range().c_str());
    std::fflush(stdout);
  }

  auto on_trial = [&](const Trial& t) {
    if (!lead) return;
    fmt::print("round {} trial {:>3}  {}  ", t.round, t.index, values_text(dims, t).c_str());
    if (t.ok())
      fmt::print("val_{} {:.4f}  val_loss {:.4f}  ({:.1f} s)\n", score_name(t.validation.kind), t.validation.score, t.validation.loss, t.seconds);
    else fmt::print("diverged: {}\n", t.failure.substr(0, t.failure.find("; ")));  // where, without the advice
    std::fflush(stdout);
  };
  auto on_round = [&](int round, const std::vector<Trial>& ranked, const std::vector<SearchDimension>& next) {
    if (!lead) return;
    // The ranking puts diverged trials last: the best ones are the scored ones among the first `top`.
    int shown = 0;
    while (shown < settings.top && shown < static_cast<int>(ranked.size()) && ranked[static_cast<std::size_t>(shown)].ok()) ++shown;
    if (shown == 0) {  // nothing to narrow the ranges to
      fmt::print("\nround {}: every trial diverged; the ranges stay as they were\n\n", round);
      std::fflush(stdout);
      return;
    }
    const char* score = trials_score(ranked);
    fmt::print("\nround {}: the best {} trial{}\n{:>4} {:>12} {:>10} {:>12}  {}\n", round, shown, shown == 1 ? "" : "s", "rank",
               fmt::format("val_{}", score), "val_loss", fmt::format("train_{:.3}", score), "values");
    for (int i = 0; i < shown; ++i) {
      const Trial& t = ranked[static_cast<std::size_t>(i)];
      fmt::print("{:>4} {:12.4f} {:10.4f} {:12.4f}  {}\n",
                 i + 1, t.validation.score, t.validation.loss, t.train.score, values_text(dims, t).c_str());
    }
    fmt::print("{}\n", round < settings.rounds ? "ranges for the next round:" : "narrowed ranges for a further search:");
    for (const auto& d : next) fmt::print("  {}: {}\n", d.path.c_str(), d.range().c_str());
    fmt::print("\n");
    std::fflush(stdout);
  };
  const auto trials = run_search(spec, registry, settings, dims, overrides, on_trial, on_round, &communicator);
  if (lead && !args.csv.empty()) {
    write_text_atomically(args.csv, trials_csv(dims, trials), "the search results");
    fmt::print("wrote {}\n", args.csv.c_str());
  }
  return 0;
}

}  // namespace

int search(const SearchArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  const Spec spec = load_command_spec(args.spec, args.overrides, plugin_dirs, registry);
  const auto communicator = create_communicator(spec, registry, args.communicator);
  return run_on_every_rank(*communicator, [&] { return search_on(args, registry, spec, *communicator); });
}

}  // namespace nnplug::cli
