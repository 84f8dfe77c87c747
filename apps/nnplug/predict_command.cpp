// nnplug predict MODEL... [--input FILE]: the class probabilities and predicted class of every sample of a file
// (or of the spec's test set), as CSV: index, predicted class, the true label when the file has one, then one
// probability per class (with --logits, the model's raw outputs). Several models are an ensemble: their
// probabilities are averaged.
#include <algorithm>
#include <cstdio>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "saved_models.hpp"

namespace nnplug::cli {

int predict(const PredictArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  if (args.logits && args.models.size() > 1)
    throw InvalidArgument("--logits writes one model's raw outputs; an ensemble averages probabilities (give one model)");
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  const ScoredModels s = score_saved_models(args.models, args.backend, args.precision, registry, args.batch_size, args.input);
  const auto& labels = s.scored->labels;
  const bool labelled = !labels.empty() && labels.front() >= 0;
  const auto name = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(s.data.class_names.size()) ? s.data.class_names[static_cast<std::size_t>(c)] : fmt::format("{}", c);
  };
  // Values are written in fmt's shortest form that reads back to the same float.
  fmt::memory_buffer csv;
  fmt::format_to(std::back_inserter(csv), "index,predicted{}", labelled ? ",label" : "");
  const std::int64_t columns = args.logits ? s.width : s.classes;
  for (std::int64_t c = 0; c < columns; ++c)
    fmt::format_to(std::back_inserter(csv), ",{}{}{}", args.logits ? "logit" : "p_", args.logits && s.width > 1 ? "_" : "",
                   args.logits && s.width == 1 ? "" : name(c));
  fmt::format_to(std::back_inserter(csv), "\n");
  const auto k = static_cast<std::size_t>(s.classes), w = static_cast<std::size_t>(columns);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* p = s.probabilities.data() + i * k;
    fmt::format_to(std::back_inserter(csv), "{},{}", i, std::max_element(p, p + k) - p);
    if (labelled) fmt::format_to(std::back_inserter(csv), ",{}", labels[i]);
    const float* values = args.logits ? s.outputs.data() + i * w : p;
    for (std::size_t c = 0; c < w; ++c) fmt::format_to(std::back_inserter(csv), ",{}", values[c]);
    fmt::format_to(std::back_inserter(csv), "\n");
  }
  if (args.output.empty()) {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
  } else {
    write_text_atomically(args.output, fmt::to_string(csv), "the predictions");
    fmt::print(stderr, "wrote {} predictions ({}) to {}\n", labels.size(), s.scored_name, args.output.string());
  }
  return 0;
}

}  // namespace nnplug::cli
