#include "nnplug/framework/cross_validation.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>

#include <fmt/format.h>

#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/preprocessing.hpp"
#include "nnplug/framework/scores_json.hpp"
#include "nnplug/framework/spread_over_ranks.hpp"
#include "nnplug/framework/text_folder.hpp"

namespace nnplug {

std::vector<std::vector<std::int64_t>> fold_indices(const Dataset& data, std::int64_t folds, std::uint64_t seed) {
  if (folds < 2) throw InvalidArgument(fmt::format("cross-validation needs at least 2 folds, got {}", folds));
  if (folds > data.size())
    throw InvalidArgument(fmt::format("{} folds cannot be made of {} samples: each fold needs one at least", folds, data.size()));
  std::vector<std::int64_t> order(static_cast<std::size_t>(data.size()));
  std::iota(order.begin(), order.end(), 0);
  Random random(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  // Class by class, in the shuffled order, dealt round the folds from where the last class stopped: each fold gets
  // its share of every class, and the folds' sizes stay within one of each other.
  if (!data.has_value_targets())
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return data.labels[static_cast<std::size_t>(a)] < data.labels[static_cast<std::size_t>(b)];
    });
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(folds));
  for (std::size_t i = 0; i < order.size(); ++i) out[i % out.size()].push_back(order[i]);
  return out;
}

namespace {

// A fold's result as it travels between ranks.
nlohmann::json to_json(const FoldResult& r) {
  return {{"fold", r.fold}, {"samples", r.samples}, {"scores", scores_json(r.scores)}, {"seconds", r.seconds}};
}

FoldResult fold_result(const nlohmann::json& j) {
  FoldResult r;
  r.fold = j.at("fold"), r.samples = j.at("samples"), r.scores = scores_from_json(j.at("scores")), r.seconds = j.at("seconds");
  return r;
}

// The spec's data as load_data gives it without validation split and without preprocessing: what the folds are
// cut from. Its test set (test_split, or a test file) stays out of them.
Experiment pooled_data(const Spec& spec, const Overrides& overrides) {
  Spec pooled = spec;
  if (const auto data = pooled.json.find("data"); data != pooled.json.end() && data->is_object()) data->erase("validation_split");
  Experiment ex;
  load_data(pooled, ex, static_cast<std::uint64_t>(spec.json.value("seed", 0)), overrides.limit_train, {}, Preprocessing::Leave);
  return ex;
}

}  // namespace

std::vector<FoldResult> cross_validate(const Spec& spec, const Registry& registry, std::int64_t folds, const Overrides& overrides,
                                       const std::function<void(const FoldResult&, const Experiment&)>& on_fold, Communicator* communicator) {
  const Experiment pooled = pooled_data(spec, overrides);
  if (communicator && communicator->size() > 1) require_same_data_on_every_rank(*communicator, {&pooled.train, &pooled.test});
  const auto seed = static_cast<std::uint64_t>(spec.json.value("seed", 0));
  const auto indices = fold_indices(pooled.train, folds, seed ^ 0xf01dULL);
  // A text folder's vocabulary is fitted on each fold's training texts, as the numbers' preprocessing is: the texts
  // are read again from their files, which the samples keep.
  const std::vector<std::string> texts = pooled.text.empty() ? std::vector<std::string>() : read_text_files(pooled.train.sample_names).texts;
  const auto texts_of = [&](const std::vector<std::int64_t>& rows) {
    std::vector<std::string> out;
    for (const std::int64_t row : rows) out.push_back(texts[static_cast<std::size_t>(row)]);
    return out;
  };
  Spec fold_spec = spec;
  fold_spec.json.erase("callbacks");
  const Params data = spec.section("data");
  const auto run_fold = [&](std::size_t k) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::int64_t> rest;
    for (std::size_t j = 0; j < indices.size(); ++j)
      if (j != k) rest.insert(rest.end(), indices[j].begin(), indices[j].end());
    Experiment fold_data;
    fold_data.train = pooled.train.subset(rest);
    fold_data.test = pooled.train.subset(indices[k]);
    fold_data.class_names = pooled.class_names;
    fold_data.text = pooled.text;
    if (!texts.empty()) {
      fold_data.text = TextVectorization::adapt(pooled.text.settings(), texts_of(rest));
      const auto encode = [&](Dataset& set, const std::vector<std::int64_t>& rows) {
        set.x = fold_data.text.encode(texts_of(rows), pooled.train.x.dtype());
        set.sample_shape = fold_data.text.sample_shape();
      };
      encode(fold_data.train, rest);
      encode(fold_data.test, indices[k]);
    }
    // Fitted on the training folds only, then applied to the fold held out, as load_data does for a test set.
    fold_data.preprocessing = fit_input_preprocessing(data, fold_data.train);
    fold_data.preprocessing.apply(fold_data.test);
    Overrides o = overrides;
    o.data = &fold_data;
    Experiment ex = build_experiment(fold_spec, registry, o);
    ex.fit.progress = false;
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    trainer.fit(ex.train, nullptr, ex.fit);
    FoldResult r;
    r.fold = static_cast<int>(k + 1);
    r.samples = ex.test.size();
    r.scores = trainer.evaluate(ex.test, ex.fit.batch_size);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_fold) on_fold(r, ex);
    return to_json(r);
  };
  std::vector<FoldResult> results;
  spread_over_ranks(communicator, indices.size(), run_fold, [&](std::size_t, const nlohmann::json& r) { results.push_back(fold_result(r)); });
  return results;
}

}  // namespace nnplug
