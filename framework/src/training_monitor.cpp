#include "nnplug/framework/training_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/png_writer.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

ValueStatistics ValueStatistics::of(const std::vector<double>& v, int bins) {
  ValueStatistics s;
  s.counts.assign(static_cast<std::size_t>(std::max(bins, 1)), 0);
  if (v.empty()) return s;
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  s.min = *lo, s.max = *hi;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double square = 0.0;
  for (double x : v) square += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(square / static_cast<double>(v.size()));
  const double width = (s.max - s.min) / static_cast<double>(s.counts.size());
  for (double x : v) {
    const auto bin = width > 0 ? static_cast<std::size_t>((x - s.min) / width) : 0;
    ++s.counts[std::min(bin, s.counts.size() - 1)];
  }
  return s;
}

namespace {

nlohmann::json to_json(const ValueStatistics& s) {
  return {{"mean", s.mean}, {"std", s.std}, {"min", s.min}, {"max", s.max}, {"histogram", s.counts}};
}

double norm(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum);
}

}  // namespace

TrainingMonitor::TrainingMonitor(std::filesystem::path path, std::int64_t probe_samples, int bins)
    : path_(std::move(path)), probe_samples_(probe_samples), bins_(bins) {
  if (probe_samples < 1 || bins < 1) throw InvalidArgument("monitor: samples and bins must be positive");
}

std::vector<std::vector<double>> TrainingMonitor::weights(Model& model) const {
  std::vector<std::vector<double>> out;
  for (const Parameter* p : model.parameters(true)) out.push_back(to_host<double>(p->value));
  return out;
}

void TrainingMonitor::on_train_begin(Model& model, const Dataset& train) {
  probe_ = train.head(probe_samples_);
  before_ = weights(model);
  lines_.clear();
}

bool TrainingMonitor::on_batch_end(const BatchRecord& record, Model& model) {
  if (record.batch != 1) return true;
  const auto params = model.parameters(true);
  update_ratio_.clear(), gradient_.clear();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto after = to_host<double>(params[i]->value);
    std::vector<double> change(after.size());
    for (std::size_t k = 0; k < after.size(); ++k) change[k] = after[k] - before_[i][k];
    const double scale = norm(before_[i]);
    update_ratio_.push_back(scale > 0 ? norm(change) / scale : 0.0);
    gradient_.push_back(ValueStatistics::of(to_host<double>(params[i]->grad), bins_));
  }
  return true;
}

bool TrainingMonitor::on_epoch_end(const EpochRecord& record, Model& model) {
  nlohmann::json line = {{"epoch", record.epoch}, {"layers", nlohmann::json::array()}};
  Tensor x = model.backend().empty(probe_.sample_shape.with_batch(probe_.size()), model.dtype());
  probe_.x.visit([&](const auto& values) { from_host(x, values); });
  model.set_training(false);  // the probe sees what inference sees: no dropout, batch norm's running statistics
  std::vector<nlohmann::json> layers(model.size());
  model.forward_each(x, [&](std::size_t l, const Tensor& y) {
    const auto values = to_host<double>(y);
    const std::size_t units = values.size() / static_cast<std::size_t>(probe_.size());
    std::size_t dead = 0, zeros = 0;
    for (std::size_t u = 0; u < units; ++u) {
      bool always_zero = true;
      for (std::size_t s = 0; s < static_cast<std::size_t>(probe_.size()) && always_zero; ++s) always_zero = values[s * units + u] == 0.0;
      dead += always_zero;
    }
    for (double v : values) zeros += v == 0.0;
    layers[l] = {{"label", model.label(l)},
                 {"activation", to_json(ValueStatistics::of(values, bins_))},
                 {"zero_fraction", static_cast<double>(zeros) / static_cast<double>(values.size())},
                 {"dead_fraction", static_cast<double>(dead) / static_cast<double>(units)},
                 {"parameters", nlohmann::json::array()}};
  });
  model.set_training(true);
  std::size_t index = 0;  // into the trainable parameters, in Model::parameters(true) order
  for (std::size_t l = 0; l < model.size(); ++l)
    for (Parameter* p : model.layer(l).parameters()) {
      if (!p->trainable) continue;
      nlohmann::json entry = {{"name", p->name}, {"norm", norm(to_host<double>(p->value))}};
      if (index < update_ratio_.size()) entry["update_ratio"] = update_ratio_[index], entry["gradient"] = to_json(gradient_[index]);
      layers[l]["parameters"].push_back(entry);
      ++index;
    }
  line["layers"] = layers;
  lines_.push_back(line.dump());
  std::string text;
  for (const auto& l : lines_) text += l + "\n";
  write_text_atomically(path_, text, "the monitoring statistics");
  before_ = weights(model);
  return true;
}

void TrainingMonitor::on_train_end(Model& model) {
  if (model.size() == 0 || model.layer(0).parameters().empty()) return;
  const Parameter& w = *model.layer(0).parameters().front();
  const Shape& shape = w.value.shape();
  const Shape& sample = model.input_shape();
  int tiles = static_cast<int>(shape[0]), h = 0, width = 0;
  if (shape.rank() == 4) {  // conv2d (filters, channels, kh, kw): the first channel of each filter
    h = static_cast<int>(shape[2]), width = static_cast<int>(shape[3]);
  } else if (shape.rank() == 2 && sample.rank() == 3 && shape[1] == sample.numel()) {
    // dense on images, flattened (units, C*H*W): the first channel of each unit
    h = static_cast<int>(sample[1]), width = static_cast<int>(sample[2]);
  } else if (shape.rank() == 2 && sample.rank() == 1) {  // dense on flat samples that are square images
    const auto side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(shape[1]))));
    if (static_cast<std::int64_t>(side) * side != shape[1]) return;
    h = width = side;
  } else {
    return;
  }
  tiles = std::min(tiles, 64);
  const auto values = to_host<double>(w.value);
  const std::size_t stride = values.size() / static_cast<std::size_t>(shape[0]);
  std::vector<double> first;
  for (int t = 0; t < tiles; ++t)
    first.insert(first.end(), values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(t) * stride),
                 values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(t) * stride + static_cast<std::size_t>(h * width)));
  int image_width = 0, image_height = 0;
  const auto pixels = tile_grid(first, tiles, h, width, image_width, image_height);
  const auto png = path_.parent_path() / (path_.stem().string() + "_first_layer.png");
  write_text_atomically(png, encode_png(pixels, image_width, image_height, 1), "the first layer's weights");
}

}  // namespace nnplug
