// nnplug predict MODEL... [--input FILE]: the class probabilities and predicted class of every sample of a file
// (or of the spec's test set), as CSV: index, predicted class, the true label when the file has one, then one
// probability per class. Several models are an ensemble: their probabilities are averaged.
#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "commands.hpp"
#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "saved_models.hpp"

namespace nnplug::cli {

int predict(const PredictArgs& args, const std::vector<std::filesystem::path>& plugin_dirs, Registry& registry) {
  PluginLoader loader;
  for (const auto& d : plugin_dirs) loader.add_directory(d);
  loader.load_all(registry);
  const ScoredModels s = score_saved_models(args.models, args.backend, registry, args.batch_size, args.input);
  const auto& labels = s.scored->labels;
  const bool labelled = !labels.empty() && labels.front() >= 0;
  std::ostringstream csv;
  csv << std::setprecision(std::numeric_limits<float>::max_digits10);  // every probability reads back to the same float
  csv << "index,predicted" << (labelled ? ",label" : "");
  for (std::int64_t c = 0; c < s.classes; ++c)
    csv << ",p_" << (c < static_cast<std::int64_t>(s.data.class_names.size()) ? s.data.class_names[static_cast<std::size_t>(c)] : std::to_string(c));
  csv << '\n';
  const auto k = static_cast<std::size_t>(s.classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* p = s.probabilities.data() + i * k;
    csv << i << ',' << (std::max_element(p, p + k) - p);
    if (labelled) csv << ',' << labels[i];
    for (std::size_t c = 0; c < k; ++c) csv << ',' << p[c];
    csv << '\n';
  }
  if (args.output.empty()) {
    std::fputs(csv.str().c_str(), stdout);
  } else {
    write_text_atomically(args.output, csv.str(), "the predictions");
    std::fprintf(stderr, "wrote %zu predictions (%s) to %s\n", labels.size(), s.scored_name.c_str(), args.output.c_str());
  }
  return 0;
}

}  // namespace nnplug::cli
