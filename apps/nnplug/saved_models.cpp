#include "saved_models.hpp"

#include <fmt/format.h>

#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/json_difference.hpp"
#include "nnplug/framework/precision.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/text_folder.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug::cli {

namespace {
// Whether the scored set's outputs are values (a regression, multi-label) rather than classes (soft labels and labels
// per step are taken before): where its targets are values; for samples without targets, where the model was trained
// on values (or, in a model file saved before it kept that, where its spec's data names target columns).
bool scores_values(const Model& model, const Dataset& scored, const Spec& spec) {
  if (scored.has_value_targets()) return true;
  const bool labelled = scored.size() && scored.labels.front() >= 0;
  return !labelled && (model.trained_on_values() || !read_target_names(spec.section("data"), 1).empty());
}

// Outputs of another kind than the first model's (scores against probabilities): an ensemble averages like with like.
InvalidArgument mixed_outputs(const std::filesystem::path& model, const char* what, const std::filesystem::path& first, const char* first_what) {
  return InvalidArgument(fmt::format("{} outputs {} and {} {}; an ensemble averages one or the other, not both", model.string(), what,
                                     first.string(), first_what));
}

const char* value_kind(OutputLink link) {
  return link == OutputLink::Sign ? "label margins" : link == OutputLink::Sigmoid ? "label probabilities" : "values";
}
}  // namespace

ScoredModels score_saved_models(const std::vector<std::filesystem::path>& models, const std::string& backend_name,
                                const std::string& precision, const Registry& registry, std::int64_t batch_size,
                                const std::filesystem::path& inputs) {
  std::shared_ptr<Backend> backend;
  if (!backend_name.empty()) {
    std::string chosen = precision;
    backend = create_backend_in_precision(registry, backend_option(backend_name), chosen);
  }
  ScoredModels out;
  Params::Json first_data;
  std::optional<Dataset> raw;  // an ensemble's scored set before the first model's preprocessing, for the others' own
  Params::Json first_preprocessing, first_vocabulary, first_columns;
  for (std::size_t m = 0; m < models.size(); ++m) {
    LoadedModel loaded = load_model(models[m], registry, backend, precision);
    const Params::Json data_section = loaded.spec.json.value("data", Params::Json());
    const Dataset* scored = out.scored;  // as this model takes it: through its own preprocessing
    Dataset own;
    if (m == 0) {
      first_data = data_section;
      out.label_name = loaded.model->column_names().label;
      // Inputs need not the training data: the model file keeps the preprocessing fitted on it (older files do not).
      std::optional<Dataset> samples = inputs.empty() ? std::nullopt : read_inputs(loaded.spec, *loaded.model, inputs);
      if (samples) {
        out.data.test = std::move(*samples);
        out.data.class_names = loaded.class_names.empty() ? spec_class_names(loaded.spec) : loaded.class_names;
      } else {
        if (!loaded.spec.json.contains("data"))
          throw InvalidArgument(fmt::format("{}: its spec names no data to score (a model saved from Python or C++); nnplug predict --input "
                                            "takes an .npy array of samples for it",
                                            models[m].string()));
        // The model's own statistics, where its file keeps them: fitted again, they would follow the data as it is
        // now, not the training samples the model saw (train --limit-train keeps fewer).
        const InputPreprocessing& saved = loaded.model->input_preprocessing();
        out.data.text = loaded.model->text_vectorization();  // the training vocabulary, not one fitted again
        load_data(loaded.spec, out.data, static_cast<std::uint64_t>(loaded.spec.json.value("seed", 0)), std::nullopt, inputs,
                  saved.empty() ? Preprocessing::Fit : Preprocessing::Leave);
        if (models.size() > 1 && !saved.empty()) raw = out.data.test.size() ? out.data.test : out.data.validation;
        if (!saved.empty())
          for (Dataset* d : {&out.data.test, &out.data.validation})
            if (d->size()) saved.apply(*d);
      }
      out.scored = scored = out.data.test.size() ? &out.data.test : &out.data.validation;
      first_preprocessing = loaded.model->input_preprocessing().to_json();
      first_vocabulary = loaded.model->text_vectorization().to_json();
      first_columns = column_names_json(loaded.model->column_names());
      out.scored_name = !inputs.empty() ? "inputs" : out.data.test.size() ? "test" : "validation";
      if (!out.scored->size())
        throw InvalidArgument(models[m].string() + ": its spec names no test or validation data to score (give --input)");
    } else {
      if (data_section != first_data)
        throw InvalidArgument(fmt::format("{} was trained on other data than {} ({}); an ensemble's models must share their data", models[m].string(),
                                          models[0].string(), first_difference(data_section, first_data, "its spec", "the first's", "data")));
      // The samples are read once, by the first model's columns: a model whose training file held other columns or
      // categories (the file changed between the runs) would take them for its own.
      if (const Params::Json columns = column_names_json(loaded.model->column_names()); columns != first_columns)
        throw InvalidArgument(fmt::format("{} was trained on other columns than {} (the training file changed between their runs: {}); an "
                                          "ensemble's models must read their samples alike",
                                          models[m].string(), models[0].string(),
                                          first_difference(columns, first_columns, "its model file", "the first's", "columns")));
      // Models trained with other seeds were fitted on other training splits: each takes the samples through its own
      // vocabulary and statistics, as it does alone.
      const TextVectorization& text = loaded.model->text_vectorization();
      const bool other_vocabulary = text.to_json() != first_vocabulary;
      if (other_vocabulary || loaded.model->input_preprocessing().to_json() != first_preprocessing) {
        if (!inputs.empty()) {
          if (auto samples = read_inputs(loaded.spec, *loaded.model, inputs)) own = std::move(*samples), scored = &own;
        } else if (other_vocabulary) {  // the texts again, from the files the samples keep
          own = *out.scored;
          own.x = text.encode(read_text_files(own.sample_names).texts, own.x.dtype());
          own.sample_shape = text.sample_shape();
          loaded.model->input_preprocessing().apply(own);
          scored = &own;
        } else if (raw && !loaded.model->input_preprocessing().empty()) {
          own = *raw;
          loaded.model->input_preprocessing().apply(own);
          scored = &own;
        }
      }
    }
    auto loss = registry.create_loss(loaded.spec.section("loss"));
    if (m == 0)  // targets that the loss reads as class labels, as training read them
      take_array_class_labels(loaded.spec, *loss, loaded.model->output_shape(), {&out.data.test, &out.data.validation, raw ? &*raw : nullptr});
    const auto [width, steps] = scored_rows(*loss, *loaded.model, *out.scored);  // a class per step: each step a row
    if (m > 0 && steps != out.steps)
      throw ShapeError(fmt::format("{} scores {} and {} {}; an ensemble's models must score alike", models[m].string(),
                                   steps ? fmt::format("a class at each of {} steps", steps) : std::string("whole samples"), models[0].string(),
                                   out.steps ? fmt::format("a class at each of {} steps", out.steps) : std::string("whole samples")));
    // The targets' columns by name (a header's, where the spec gives them by index).
    const auto target_names = [&, w = width] { return read_target_names(loaded.spec.section("data"), w, loaded.model->column_names().targets); };
    if (steps) {
      out.steps = steps;
    } else if (m == 0 && soft_labels(*loss, *out.scored)) {
      // Class probabilities as targets: scored as a classification, against each sample's most probable class.
      Dataset& scored = out.data.test.size() ? out.data.test : out.data.validation;  // *out.scored
      scored.labels = most_probable_classes(scored);
      scored.num_classes = scored.target_width;
      if (out.data.class_names.empty()) out.data.class_names = target_names();
    } else if (m == 0 && scores_values(*loaded.model, *out.scored, loaded.spec)) {
      out.target_names = target_names(), out.link = loss->output_link();
      if (out.target_names.empty())  // an .npy file's targets have no names
        for (std::int64_t k = 0; k < width; ++k) out.target_names.push_back(fmt::format("target_{}", k));
    }
    if (!out.target_names.empty()) {
      if (m > 0 && width != out.width)
        throw ShapeError(fmt::format("{} outputs {} values per sample and {} outputs {}; an ensemble's models must predict the same targets",
                                     models[m].string(), width, models[0].string(), out.width));
      // Margins share no scale with probabilities or values: an ensemble averages margins with margins only.
      const OutputLink link = loss->output_link();
      if (m > 0 && (link == OutputLink::Sign) != (out.link == OutputLink::Sign))
        throw mixed_outputs(models[m], value_kind(link), models[0], value_kind(out.link));
      Trainer trainer(*loaded.model, loss, nullptr);
      std::vector<float> outputs = trainer.predict(*scored, batch_size);
      const auto predictions = link_values(outputs, link, loaded.model->target_scaling());
      if (m == 0) out.predictions.assign(predictions.size(), 0.0f), out.width = width, out.outputs = std::move(outputs);
      for (std::size_t i = 0; i < predictions.size(); ++i) out.predictions[i] += predictions[i] / static_cast<float>(models.size());
      if (out.scored->has_value_targets()) out.member_scores.push_back(trainer.evaluate(*scored, batch_size));
      continue;
    }
    const std::int64_t classes = classes_of_outputs(width);
    if (out.scored->num_classes > classes)
      throw ShapeError(fmt::format("{}: the model outputs {} values per sample, the data has {} classes", models[m].string(), width,
                                   out.scored->num_classes));
    if (m > 0 && classes != out.classes)
      throw ShapeError(fmt::format("{} scores {} classes and {} scores {}; an ensemble's models must score the same classes", models[m].string(),
                                   classes, models[0].string(), out.classes));
    out.classes = classes;
    // Class scores (a hinge loss's, a margin's) share no scale with probabilities: an ensemble averages the one or the other.
    const bool class_scores = gives_class_scores(loss->output_link());
    if (m > 0 && class_scores != out.class_scores)
      throw mixed_outputs(models[m], class_scores ? "class scores" : "class probabilities", models[0],
                          out.class_scores ? "class scores" : "class probabilities");
    out.class_scores = class_scores;
    Trainer trainer(*loaded.model, loss, nullptr);
    std::vector<float> outputs = trainer.predict(*scored, batch_size);
    const auto p = class_probabilities(outputs, width, loss->output_link());
    if (m == 0) {
      out.probabilities.assign(p.size(), 0.0f);
      out.outputs = std::move(outputs);
      out.width = width;
    }
    for (std::size_t i = 0; i < p.size(); ++i) out.probabilities[i] += p[i] / static_cast<float>(models.size());
    if (m == 0) out.labels = steps ? step_labels(*out.scored, steps) : out.scored->labels;
    const bool labelled = steps ? out.scored->has_value_targets() : out.scored->size() && out.scored->labels.front() >= 0;
    if (labelled) out.member_scores.push_back(trainer.evaluate(*scored, batch_size));
  }
  return out;
}

}  // namespace nnplug::cli
