#pragma once
// Stochastic weight averaging (Izmailov et al. 2018; PyTorch's torch.optim.swa_utils): from epoch start_epoch on, the
// model's weights at the end of every epoch are averaged with equal weights, while the learning rate moves from the
// one epoch start_epoch ended with to `lr` over anneal_epochs epochs (SWALR) and stays there. When training ends the
// model takes the average, and batch norm's running statistics are gathered again for it (update_bn). Validation
// during training sees the raw weights.
#include <optional>

#include "nnplug/framework/callbacks.hpp"

namespace nnplug {

class StochasticWeightAverage final : public Callback {
 public:
  struct Settings {
    int start_epoch = 1;            // the first epoch whose weights join the average
    std::optional<double> lr;       // SWALR's swa_lr; none: the rate is left to the schedule
    int anneal_epochs = 10;         // epochs from the rate start_epoch ended with to lr
    bool cosine_anneal = true;      // SWALR's anneal_strategy "cos"; false: "linear"
    bool recompute_statistics = true;  // update_bn
  };
  explicit StochasticWeightAverage(Settings settings);
  void on_epoch_begin(int epoch, Model& model) override;
  bool on_epoch_end(const EpochRecord& record, Model& model) override;
  void on_train_end(Model& model) override;
  bool needs_statistics_recomputed() const override { return settings_.recompute_statistics && averaged_ > 0; }
  double adjust_learning_rate(double lr) const override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;

 private:
  Settings settings_;
  int epoch_ = 0;                // the one being trained
  double start_rate_ = 0.0;      // the learning rate start_epoch ended with
  std::int64_t averaged_ = 0;    // epochs in the average
  ParameterCopies average_;
};

}  // namespace nnplug
