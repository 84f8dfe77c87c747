// nnplug evaluate MODEL...: loads models saved by `nnplug train --save` or a checkpoint callback (their plugins
// are checked first) and scores them on the test set their spec names (the validation set when it has none):
// loss, accuracy, top-k accuracy, the confusion matrix and per-class precision, recall, F1, specificity and IoU with
// their averages; for value targets, the regression or multi-label scores of value_evaluation.hpp. Several models
// are an ensemble: each is scored alone, then their averaged probabilities (or predictions).
#include <cmath>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/value_evaluation.hpp"
#include "saved_models.hpp"

namespace nnplug::cli {

int evaluate(const EvaluateArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  load_plugin_folders(plugin_dirs, registry);
  const ScoredModels s = score_saved_models(args.models, args.backend, args.precision, registry, args.batch_size);
  if (s.member_scores.size() != args.models.size())  // each model is scored where the set has labels or targets
    throw InvalidArgument(fmt::format("{}: the {} set its spec names has no labels or targets to score against (nnplug predict writes its "
                                      "predictions)", args.models.front().string(), s.scored_name));
  const bool ensemble = args.models.size() > 1;
  for (std::size_t m = 0; ensemble && m < args.models.size(); ++m)
    fmt::print("{}: loss {:.4f}  {} {:.4f}\n", args.models[m].c_str(), s.member_scores[m].loss, score_name(s.member_scores[m].kind),
               s.member_scores[m].score);
  const double loss = ensemble ? NAN : s.member_scores.front().loss;
  std::string text;
  nlohmann::json j;
  if (s.target_names.empty()) {
    // Where every class is among the top k, every label is: a top-k accuracy of 1 that says nothing.
    if (args.top_k_given && args.top_k >= s.classes)
      fmt::print(stderr, "note: no top-{} accuracy: the model scores {} classes, all of them among its top {}\n", args.top_k, s.classes, args.top_k);
    const Evaluation e = evaluate_labelled_rows(s.probabilities, s.labels, s.classes, loss, args.top_k, s.steps);
    text = format_evaluation(e, s.data.class_names), j = evaluation_json(e, s.data.class_names);
  } else {
    const ValueEvaluation e = evaluate_values(s.predictions, s.scored->targets, s.width, s.link, loss, s.target_names);
    text = format_value_evaluation(e), j = value_evaluation_json(e);
  }
  fmt::print("{}, {} set:\n{}", ensemble ? fmt::format("ensemble of {} models", args.models.size()) : args.models.front().string(),
             s.scored_name, text);
  if (!args.json.empty()) {
    j["set"] = s.scored_name;
    for (const auto& m : args.models) j["models"].push_back(m.string());
    write_text_atomically(args.json, j.dump(2) + "\n", "the metrics");
    fmt::print("wrote {}\n", args.json.c_str());
  }
  return 0;
}

}  // namespace nnplug::cli
