#include "nnplug/framework/hyperparameter_search.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <typeinfo>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/scores_json.hpp"
#include "nnplug/framework/spread_over_ranks.hpp"

namespace nnplug {

namespace {

double parse_number(const std::string& path, const std::string& text) {
  double v = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw InvalidArgument(fmt::format("search parameter '{}': '{}' is not a number", path, text));
  return v;
}

std::string json_value(const SearchDimension& d, double v) {
  if (d.scale == SearchDimension::Scale::Integer) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.17g}", v);
}

}  // namespace

SearchDimension SearchDimension::parse(const std::string& path, const std::string& range) {
  SearchDimension d;
  d.path = path;
  const auto first = range.find(':'), second = range.find(':', first == std::string::npos ? first : first + 1);
  const std::string usage = fmt::format("search parameter '{}': the range must be log:LOW:HIGH, uniform:LOW:HIGH or int:LOW:HIGH, got '{}'", path, range);
  if (path.empty() || first == std::string::npos || second == std::string::npos) throw InvalidArgument(usage);
  const std::string kind = range.substr(0, first);
  d.low = parse_number(path, range.substr(first + 1, second - first - 1));
  d.high = parse_number(path, range.substr(second + 1));
  if (kind == "log") d.scale = Scale::Log;
  else if (kind == "uniform") d.scale = Scale::Linear;
  else if (kind == "int") d.scale = Scale::Integer;
  else throw InvalidArgument(usage);
  if (!(d.low <= d.high)) throw InvalidArgument(fmt::format("search parameter '{}': LOW must not exceed HIGH in '{}'", path, range));
  if (d.scale == Scale::Log && !(d.low > 0)) throw InvalidArgument(fmt::format("search parameter '{}': a log range needs LOW > 0, got '{}'", path, range));
  if (d.scale == Scale::Integer && (d.low != std::floor(d.low) || d.high != std::floor(d.high)))
    throw InvalidArgument(fmt::format("search parameter '{}': an int range needs integer bounds, got '{}'", path, range));
  // Draws are doubles: past 2^53 an int range would skip integers, and its width would overflow the count drawn.
  constexpr double exact_integers = 9007199254740992.0;
  if (d.scale == Scale::Integer && !(-exact_integers <= d.low && d.high <= exact_integers))
    throw InvalidArgument(fmt::format("search parameter '{}': an int range lies within +-2^53, got '{}'", path, range));
  if (d.scale == Scale::Linear && !std::isfinite(d.high - d.low))
    throw InvalidArgument(fmt::format("search parameter '{}': HIGH - LOW overflows a double in '{}'", path, range));
  if (path.starts_with("data.") || path == "data" || path == "seed")
    throw InvalidArgument(fmt::format("search parameter '{}': the data and the seed stay fixed across trials, so that they compare", path));
  return d;
}

double SearchDimension::sample(Random& random) const {
  switch (scale) {
    case Scale::Log: return std::exp(random.uniform(std::log(low), std::log(high)));
    case Scale::Linear: return random.uniform(low, high);
    case Scale::Integer: return low + static_cast<double>(random.below(static_cast<std::uint64_t>(high - low) + 1));
  }
  return low;
}

std::string SearchDimension::range() const {
  return fmt::format("{}{:.3g}:{:.3g}", scale == Scale::Log ? "log:" : scale == Scale::Linear ? "uniform:" : "int:", low, high);
}

void read_search_section(const Spec& spec, SearchSettings& settings, std::vector<SearchDimension>& dimensions) {
  if (!spec.json.contains("search")) return;
  const Params s = spec.section("search");
  settings.trials = static_cast<int>(s.integer("trials", settings.trials, 1, 1000000));
  settings.epochs = static_cast<int>(s.integer("epochs", settings.epochs, 1, 1000000));
  settings.rounds = static_cast<int>(s.integer("rounds", settings.rounds, 1, 100));
  settings.top = static_cast<int>(s.integer("top", settings.top, 1, 1000000));
  const Params parameters = s.child("parameters", Params::Json::object());
  for (const auto& [path, range] : parameters.json().items()) {
    if (!range.is_string()) parameters.fail(path, fmt::format("must be a range such as \"log:1e-6:1e-2\", got {}", Params::shown(range)));
    dimensions.push_back(SearchDimension::parse(path, range.get<std::string>()));
  }
  s.check_unused();
}

void rank_trials(std::vector<Trial>& trials) {
  std::stable_sort(trials.begin(), trials.end(), [](const Trial& a, const Trial& b) {
    if (a.ok() != b.ok()) return a.ok();
    if (a.validation.score != b.validation.score)
      return a.validation.kind == ScoreKind::Accuracy ? a.validation.score > b.validation.score : a.validation.score < b.validation.score;
    return a.validation.loss < b.validation.loss;
  });
}

std::vector<SearchDimension> narrow(const std::vector<SearchDimension>& dimensions, const std::vector<Trial>& ranked, int top) {
  std::vector<SearchDimension> out = dimensions;
  const auto n = std::min<std::size_t>(static_cast<std::size_t>(std::max(top, 1)), ranked.size());
  if (n == 0 || !ranked.front().ok()) return out;
  for (std::size_t d = 0; d < out.size(); ++d) {
    double low = ranked[0].values[d], high = low;
    for (std::size_t t = 1; t < n && ranked[t].ok(); ++t) low = std::min(low, ranked[t].values[d]), high = std::max(high, ranked[t].values[d]);
    out[d].low = low, out[d].high = high;
  }
  return out;
}

std::vector<Trial> run_search(const Spec& spec, const Registry& registry, const SearchSettings& settings,
                              std::vector<SearchDimension> dimensions, const Overrides& overrides,
                              const std::function<void(const Trial&)>& on_trial,
                              const std::function<void(int, const std::vector<Trial>&, const std::vector<SearchDimension>&)>& on_round,
                              Communicator* communicator) {
  if (dimensions.empty()) throw InvalidArgument(fmt::format("{}: nothing to search: give parameters in \"search\" or with --param", spec.where()));
  Experiment data;
  load_data(spec, data, static_cast<std::uint64_t>(spec.json.value("seed", 0)), overrides.limit_train);
  if (!data.validation.size())
    throw InvalidArgument(fmt::format("{}: a search scores trials on validation data only: set data.validation_split", spec.where()));
  if (communicator && communicator->size() > 1) require_same_data_on_every_rank(*communicator, {&data.train, &data.validation, &data.test});
  Random random(settings.seed ^ 0x5ea4c4ULL);
  std::vector<Trial> all;
  for (int round = 1; round <= settings.rounds; ++round) {
    // Drawn first, in trial order, so that every rank draws the same values whichever trials it runs.
    std::vector<Trial> drawn(static_cast<std::size_t>(settings.trials));
    for (int i = 1; i <= settings.trials; ++i) {
      Trial& t = drawn[static_cast<std::size_t>(i - 1)];
      t.round = round, t.index = i;
      for (const auto& d : dimensions) t.values.push_back(d.sample(random));
    }
    const auto run_trial = [&](std::size_t i) {
      Trial t = drawn[i];
      Spec trial_spec = spec;
      for (std::size_t d = 0; d < dimensions.size(); ++d)
        trial_spec.set(fmt::format("{}={}", dimensions[d].path, json_value(dimensions[d], t.values[d])));
      trial_spec.json.erase("callbacks");  // a trial writes no checkpoints and stops on no one's behalf
      Overrides o = overrides;
      o.epochs = settings.epochs;
      o.data = &data;
      Experiment ex = build_experiment(trial_spec, registry, o);
      ex.fit.progress = false;
      const auto start = std::chrono::steady_clock::now();
      Trainer trainer(*ex.model, ex.loss, ex.optimizer);
      try {
        const auto history = trainer.fit(ex.train, &ex.validation, ex.fit);
        t.train = history.back().train, t.validation = history.back().validation;
      } catch (const Error& e) {
        // A diverging rate (a non-finite loss, nnplug::Error itself) is a result of the search, not an error of it;
        // its subclasses (a bad argument or shape, a plugin, the backend) would fail every trial, and end the search.
        if (typeid(e) != typeid(Error)) throw;
        t.failure = e.what();
      }
      t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return nlohmann::json{{"train", scores_json(t.train)}, {"validation", scores_json(t.validation)}, {"failure", t.failure}, {"seconds", t.seconds}};
    };
    std::vector<Trial> trials;
    spread_over_ranks(communicator, drawn.size(), run_trial, [&](std::size_t i, const nlohmann::json& result) {
      Trial t = drawn[i];
      t.train = scores_from_json(result.at("train")), t.validation = scores_from_json(result.at("validation"));
      t.failure = result.at("failure"), t.seconds = result.at("seconds");
      if (on_trial) on_trial(t);
      trials.push_back(std::move(t));
    });
    rank_trials(trials);
    if (round < settings.rounds || on_round) {
      const auto next = narrow(dimensions, trials, settings.top);
      if (on_round) on_round(round, trials, next);
      dimensions = next;
    }
    all.insert(all.end(), trials.begin(), trials.end());
  }
  return all;
}

}  // namespace nnplug
