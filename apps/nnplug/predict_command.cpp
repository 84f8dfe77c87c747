// nnplug predict MODEL... [--input FILE]: the class probabilities and predicted class of every sample of a file
// (or of the spec's test set; of every step of each, for a model that scores a class per step), as CSV: index (and
// step), the image's file or the sample's id (with --row-ids, its row number), predicted class, the true label when
// the file has one (classes by the spec's class_names where it gives them), then one probability per class (a hinge
// loss's model: one score per class; with --logits, the model's raw outputs). A model of value targets (regression,
// multi-label) writes each target's prediction and then, when known, its true value. Several models are an ensemble:
// their probabilities (or scores, or predictions) are averaged.
#include <algorithm>
#include <cstdio>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "saved_models.hpp"

namespace nnplug::cli {

namespace {

// A name as one CSV field: in double quotes, its own doubled, where it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + '"';
}

// A class by the name the spec or the model file gives it, else by its index.
std::string class_name(const ScoredModels& s, std::int64_t c) {
  return c < static_cast<std::int64_t>(s.data.class_names.size()) ? s.data.class_names[static_cast<std::size_t>(c)] : fmt::format("{}", c);
}

// What names each sample in the output: the data's ids (its id_column) or images' files, or with --row-ids its row
// number in the file; names empty where nothing names the samples.
struct SampleIds {
  std::string column;
  std::vector<std::string> names;
};

SampleIds sample_ids(const ScoredModels& s, const PredictArgs& args) {
  if (args.row_ids.empty()) return {s.scored->sample_names_column, s.scored->sample_names};
  SampleIds ids{args.row_ids, {}};
  for (std::int64_t i = 0; i < s.scored->size(); ++i) ids.names.push_back(fmt::format("{}", args.first_row_id + i));
  return ids;
}

// The most probable (or highest scored) class of a row of probabilities, by name.
std::string predicted_class(const ScoredModels& s, std::size_t row) {
  const auto k = static_cast<std::size_t>(s.classes);
  const float* p = s.probabilities.data() + row * k;
  return class_name(s, std::max_element(p, p + k) - p);
}

// index (and step, for a class per step), predicted class, the true label when known (both by name where the spec
// names the classes; empty at a step not scored), then each class's probability or score (or each raw output).
std::string class_predictions(const ScoredModels& s, const SampleIds& ids, bool logits) {
  const auto& labels = s.labels;
  const bool labelled = s.steps ? s.scored->has_value_targets() : !labels.empty() && labels.front() >= 0;
  const auto steps = static_cast<std::size_t>(std::max<std::int64_t>(s.steps, 1));
  // Values are written in fmt's shortest form that reads back to the same float.
  fmt::memory_buffer csv;
  const auto& names = ids.names;
  const std::string names_column = names.empty() ? "" : fmt::format(",{}", csv_field(ids.column));
  fmt::format_to(std::back_inserter(csv), "index{}{},predicted{}", s.steps ? ",step" : "", names_column, labelled ? ",label" : "");
  const std::int64_t columns = logits ? s.width : s.classes;
  for (std::int64_t c = 0; c < columns; ++c)
    fmt::format_to(std::back_inserter(csv), ",{}",
                   csv_field(fmt::format("{}{}{}", logits ? "logit" : s.class_scores ? "score_" : "p_", logits && s.width > 1 ? "_" : "",
                                         logits && s.width == 1 ? "" : class_name(s, c))));
  fmt::format_to(std::back_inserter(csv), "\n");
  const auto k = static_cast<std::size_t>(s.classes), w = static_cast<std::size_t>(columns);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* p = s.probabilities.data() + i * k;
    fmt::format_to(std::back_inserter(csv), "{}", i / steps);
    if (s.steps) fmt::format_to(std::back_inserter(csv), ",{}", i % steps);
    if (!names.empty()) fmt::format_to(std::back_inserter(csv), ",{}", csv_field(names[i / steps]));
    fmt::format_to(std::back_inserter(csv), ",{}", csv_field(predicted_class(s, i)));
    if (labelled) fmt::format_to(std::back_inserter(csv), ",{}", labels[i] < 0 ? std::string() : csv_field(class_name(s, labels[i])));
    const float* values = logits ? s.outputs.data() + i * w : p;
    for (std::size_t c = 0; c < w; ++c) fmt::format_to(std::back_inserter(csv), ",{}", values[c]);
    fmt::format_to(std::back_inserter(csv), "\n");
  }
  return fmt::to_string(csv);
}

// index, each target's prediction (a multi-label loss's probability or margin, or each raw output), then the true
// targets when known.
std::string value_predictions(const ScoredModels& s, const SampleIds& ids, bool logits) {
  const bool known = s.scored->has_value_targets();
  const char* prefix = logits                             ? "logit_"
                       : s.link == OutputLink::Sigmoid ? "p_"
                       : s.link == OutputLink::Sign    ? "score_"
                                                       : "predicted_";
  fmt::memory_buffer csv;
  const auto out = std::back_inserter(csv);
  const auto& names = ids.names;
  fmt::format_to(out, "index{}", names.empty() ? "" : fmt::format(",{}", csv_field(ids.column)));
  for (const auto& name : s.target_names) fmt::format_to(out, ",{}", csv_field(prefix + name));
  for (std::size_t t = 0; known && t < s.target_names.size(); ++t) fmt::format_to(out, ",{}", csv_field(s.target_names[t]));
  fmt::format_to(out, "\n");
  const auto w = static_cast<std::size_t>(s.width);
  const std::vector<float>& values = logits ? s.outputs : s.predictions;
  for (std::size_t i = 0; i < static_cast<std::size_t>(s.scored->size()); ++i) {
    fmt::format_to(out, "{}", i);
    if (!names.empty()) fmt::format_to(out, ",{}", csv_field(names[i]));
    for (std::size_t c = 0; c < w; ++c) fmt::format_to(out, ",{}", values[i * w + c]);
    for (std::size_t c = 0; known && c < w; ++c) fmt::format_to(out, ",{}", s.scored->targets[i * w + c]);
    fmt::format_to(out, "\n");
  }
  return fmt::to_string(csv);
}

// Kaggle's submission file: each sample's id under its column's name, then its predicted class under the label
// column's name (Kaggle's sample_submission.csv: PassengerId,Survived), or each target's predicted value.
std::string submission(const ScoredModels& s, const SampleIds& sample_ids, const std::filesystem::path& input) {
  const auto& ids = sample_ids.names;
  if (ids.empty())
    throw InvalidArgument(fmt::format("--submission names each sample by its id, and {} holds none: the data section's \"id_column\" names the "
                                      "column that holds them, or --row-ids NAME numbers the samples from 1 (Kaggle's Digit Recognizer's ImageId)",
                                      input.empty() ? fmt::format("the {} set", s.scored_name) : input.string()));
  if (s.steps) throw InvalidArgument("--submission writes one prediction per sample, and this model predicts a class at each step");
  const bool values = !s.target_names.empty();
  fmt::memory_buffer csv;
  const auto out = std::back_inserter(csv);
  fmt::format_to(out, "{}", csv_field(sample_ids.column));
  if (values)
    for (const auto& name : s.target_names) fmt::format_to(out, ",{}", csv_field(name));
  else
    fmt::format_to(out, ",{}", csv_field(s.label_name.empty() ? "label" : s.label_name));
  fmt::format_to(out, "\n");
  const auto w = static_cast<std::size_t>(s.width);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    fmt::format_to(out, "{}", csv_field(ids[i]));
    if (values)
      for (std::size_t c = 0; c < w; ++c) fmt::format_to(out, ",{}", s.predictions[i * w + c]);
    else
      fmt::format_to(out, ",{}", csv_field(predicted_class(s, i)));
    fmt::format_to(out, "\n");
  }
  return fmt::to_string(csv);
}

}  // namespace

int predict(const PredictArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  if (args.logits && args.models.size() > 1)
    throw InvalidArgument("--logits writes one model's raw outputs; an ensemble averages probabilities (give one model)");
  load_plugin_folders(plugin_dirs, registry);
  const ScoredModels s = score_saved_models(args.models, args.backend, args.precision, registry, args.batch_size, args.input);
  const SampleIds ids = sample_ids(s, args);
  const std::string csv = args.submission           ? submission(s, ids, args.input)
                          : s.target_names.empty() ? class_predictions(s, ids, args.logits)
                                                   : value_predictions(s, ids, args.logits);
  if (args.output.empty()) {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
  } else {
    write_text_atomically(args.output, csv, "the predictions");
    // A model of a label per step writes a row per step: so many predictions, of so many samples.
    const std::string count = s.steps ? fmt::format("{} predictions of {} samples' steps", s.scored->size() * s.steps, s.scored->size())
                                      : fmt::format("{} predictions", s.scored->size());
    fmt::print(stderr, "wrote {} ({}) to {}\n", count, s.scored_name, args.output.string());
  }
  return 0;
}

}  // namespace nnplug::cli
