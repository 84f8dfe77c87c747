#pragma once
// Watching a network learn (the chapter's babysitting): after every epoch, one JSON line per epoch with, for
// each layer, statistics and a histogram of its outputs on a fixed probe batch (eval mode), the fraction of its
// units that output zero for every probe sample (dead ReLUs), and for each parameter its norm, the statistics of
// its gradient and the update/weight ratio ||w_after - w_before|| / ||w_before|| of the epoch's first step
// (about 1e-3 is healthy). When training ends, the first layer's weights are written as a PNG grid of tiles.
#include <filesystem>
#include <vector>

#include "nnplug/framework/callbacks.hpp"

namespace nnplug {

// Mean, standard deviation, extremes and a histogram of some values.
struct ValueStatistics {
  double mean = 0, std = 0, min = 0, max = 0;
  std::vector<std::int64_t> counts;  // `bins` equal bins over [min, max]
  static ValueStatistics of(const std::vector<double>& values, int bins);
};

class TrainingMonitor final : public Callback {
 public:
  bool writes_only_files() const override { return true; }
  // path: the JSON lines file; the weight grid goes beside it as <stem>_first_layer.png.
  TrainingMonitor(std::filesystem::path path, std::int64_t probe_samples = 64, int bins = 30);
  void on_train_begin(Model& model, const Dataset& train) override;
  bool on_batch_end(const BatchRecord& record, Model& model) override;
  bool on_epoch_end(const EpochRecord& record, Model& model) override;
  void on_train_end(Model& model) override;

 private:
  std::vector<std::vector<double>> weights(Model& model) const;
  std::filesystem::path path_;
  std::int64_t probe_samples_;
  int bins_;
  Dataset probe_;
  std::vector<std::vector<double>> before_;  // the weights before the epoch's first step
  std::vector<double> update_ratio_;         // per trainable parameter, from the epoch's first step
  std::vector<ValueStatistics> gradient_;    // per trainable parameter, the epoch's first step's gradient
  std::vector<std::string> lines_;
};

}  // namespace nnplug
