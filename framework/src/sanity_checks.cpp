#include "nnplug/framework/sanity_checks.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "nnplug/framework/graph_spec.hpp"

namespace nnplug {

InitialLossCheck check_initial_loss(Experiment& ex, std::int64_t samples) {
  InitialLossCheck out;
  const Dataset head = ex.train.head(samples);
  out.samples = head.size();
  Trainer trainer(*ex.model, ex.loss, nullptr);
  out.loss = trainer.evaluate(head, ex.fit.batch_size).loss;
  // Every parameter 0 (dense and convolution weights and biases, batch norm's scale and shift): the outputs are
  // those of no evidence, what the last layer's activation makes of zeros. The spec's values are put back after.
  std::vector<std::vector<double>> kept;
  for (Parameter* p : ex.model->parameters(false)) {
    kept.push_back(to_host<double>(p->value));
    from_host(p->value, std::vector<double>(kept.back().size(), 0.0));
  }
  out.chance = trainer.evaluate(head, ex.fit.batch_size).loss;
  std::size_t i = 0;
  for (Parameter* p : ex.model->parameters(false)) from_host(p->value, kept[i++]);
  return out;
}

RegularizationCheck check_regularization(Experiment& ex, std::int64_t samples) {
  RegularizationCheck out;
  out.applies = ex.model->has_parameter_penalties();
  if (!out.applies) return out;
  Trainer trainer(*ex.model, ex.loss, nullptr);
  const double data_loss = trainer.evaluate(ex.train.head(samples), ex.fit.batch_size).loss;
  for (std::size_t i = 0; i < 3; ++i) {
    ex.model->apply_penalties(nullptr, RegularizationCheck::kStrengths[i]);  // also adds to the gradients, which no step reads
    out.losses[i] = data_loss + ex.model->penalties().parameters;
  }
  return out;
}

Spec without_regularization(Spec spec) {
  const auto strip = [](auto& self, nlohmann::json& j) -> void {
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end();) it = it.key().ends_with("_regularizer") ? j.erase(it) : std::next(it);
      for (auto& [key, value] : j.items()) self(self, value);
    } else if (j.is_array()) {
      for (auto& value : j) self(self, value);
    }
  };
  spec.json = with_block_files_inlined(spec);
  for (const char* section : {"layers", "blocks"})
    if (spec.json.contains(section)) strip(strip, spec.json[section]);
  if (spec.json.contains("optimizer") && spec.json["optimizer"].is_object()) spec.json["optimizer"].erase("weight_decay");
  spec.json.erase("augmentation");
  spec.json.erase("callbacks");
  return spec;
}

OverfitCheck check_overfit(const Spec& spec, const Registry& registry, const Experiment& data, const Overrides& overrides,
                           std::int64_t samples, int max_epochs) {
  Experiment subset;
  subset.train = data.train.head(samples);
  subset.preprocessing = data.preprocessing;
  subset.text = data.text;
  subset.class_names = data.class_names;
  Overrides o = overrides;
  o.data = &subset;
  Experiment ex = build_experiment(without_regularization(spec), registry, o);
  ex.fit.batch_size = subset.train.size();
  ex.fit.progress = false;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  OverfitCheck out;
  out.samples = subset.train.size();
  out.first = out.last = trainer.evaluate(ex.train, ex.fit.batch_size);
  const auto fitted = [&](const Scores& s) {
    return s.kind == ScoreKind::Accuracy ? s.score >= 1.0 : s.loss <= 1e-2 * out.first.loss;
  };
  while (!(out.passed = fitted(out.last)) && out.epochs < max_epochs) {
    ex.fit.initial_epoch = out.epochs;  // 10 more epochs between two looks at the subset's scores
    ex.fit.epochs = std::min(out.epochs + 10, max_epochs);
    trainer.fit(ex.train, nullptr, ex.fit);
    out.epochs = ex.fit.epochs;
    out.last = trainer.evaluate(ex.train, ex.fit.batch_size);
  }
  return out;
}

}  // namespace nnplug
