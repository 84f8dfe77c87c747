#pragma once
// Callbacks run after every step and every epoch of Trainer::fit, in the order given (Keras' callbacks): early
// stopping, model checkpoints, the history file, the learning rate's reduction on a plateau. Any of them may stop
// training.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/callback_state.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/parameter_copies.hpp"
#include "nnplug/framework/spec.hpp"

namespace nnplug {

struct EpochRecord;

// One optimizer step of Trainer::fit.
struct BatchRecord {
  int epoch = 0;              // 1-based
  std::int64_t batch = 0;     // 1-based within the epoch
  std::int64_t step = 0;      // 1-based over the run
  double loss = 0.0;          // the batch's loss (penalties included), before the step
  double learning_rate = 0.0; // the step's
  std::int64_t batches = 0;   // in this epoch
  int epochs = 0;             // the run's last epoch
};

class Callback {
 public:
  virtual ~Callback() = default;
  // Before the first step, with the training set.
  virtual void on_train_begin(Model& model, const Dataset& train) { (void)model, (void)train; }
  // Before the first step of each epoch (1-based).
  virtual void on_epoch_begin(int epoch, Model& model) { (void)epoch, (void)model; }
  // After each optimizer step; returns false to stop training there (the epoch is then not recorded).
  virtual bool on_batch_end(const BatchRecord& record, Model& model) { (void)record, (void)model; return true; }
  // After each epoch; returns false to stop training.
  virtual bool on_epoch_end(const EpochRecord& record, Model& model) { (void)record, (void)model; return true; }
  // After every callback's on_epoch_end of the epoch, whether or not one stopped training: where a checkpoint is
  // written, so that it holds the state every callback reached in the epoch.
  virtual void after_epoch(const EpochRecord& record, Model& model) { (void)record, (void)model; }
  virtual void on_train_end(Model& model) { (void)model; }
  // Whether on_train_end gave the model weights that its running statistics (batch norm's) were not gathered with:
  // the trainer then gathers them again over the training set (Trainer::recompute_statistics).
  virtual bool needs_statistics_recomputed() const { return false; }
  // Before training: throws InvalidArgument when it needs a validation set the run does not have.
  virtual void check(bool has_validation) const { (void)has_validation; }
  // Whether its only effect is a file: in data-parallel training only rank 0 runs such a callback (the others
  // hold the same weights and metrics).
  virtual bool writes_only_files() const { return false; }
  // The learning rate of the next step, from what the optimizer's lr and the schedule give: the same, unless the
  // callback lowers it (ReduceLrOnPlateau).
  virtual double adjust_learning_rate(double lr) const { return lr; }
  // What a checkpoint keeps of it (callback_state.hpp), and puts back into a fresh one of the same settings before
  // a resumed run: state_kind() names it (empty: nothing is kept). restore_state throws InvalidArgument for values
  // it cannot take.
  virtual std::string state_kind() const { return ""; }
  virtual CallbackState state() const { return {}; }
  virtual void restore_state(const CallbackState& state, Model& model) { (void)state, (void)model; }
};

// The value of "loss", "accuracy" or "mae" (the record's score: score_name), or of one of them after "val_", in a
// record; throws InvalidArgument for a score the run does not compute, or a validation quantity when the run has
// no validation set.
double monitored_value(const EpochRecord& record, const std::string& monitor);

// Stops when `monitor` has not improved by more than min_delta for `patience` epochs (lower is better for the
// losses and the mean absolute error, higher for the accuracies), and, with restore_best, puts back the weights of the best epoch.
class EarlyStopping final : public Callback {
 public:
  EarlyStopping(std::string monitor, double min_delta, int patience, bool restore_best);
  bool on_epoch_end(const EpochRecord& record, Model& model) override;
  void on_train_end(Model& model) override;
  void check(bool has_validation) const override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;
  int best_epoch() const { return best_epoch_; }

 private:
  std::string monitor_;
  double min_delta_;
  int patience_, wait_ = 0, best_epoch_ = 0;
  bool restore_best_, minimize_;
  double best_ = 0.0;
  std::vector<std::vector<double>> best_weights_;  // every parameter, buffers included
};

// Saves the model (save_model: safetensors with spec and plugins) after every epoch, or only when `monitor`
// improves with best_only. The path may name the epoch and its scores as Keras's does ("ckpt-{epoch:02d}-{val_loss:.2f}",
// checkpoint_file in callbacks.cpp). With an optimizer the file is
// a checkpoint that `nnplug train --resume` continues from, holding the state of the run's callbacks
// (keep_states_of) as they ended the epoch.
class ModelCheckpoint final : public Callback {
 public:
  ModelCheckpoint(std::filesystem::path path, const Spec& spec, const Registry& registry, bool best_only, std::string monitor,
                  std::shared_ptr<Optimizer> optimizer = nullptr);
  bool writes_only_files() const override { return true; }
  void on_train_begin(Model& model, const Dataset& train) override;  // refuses a path it could not write
  void after_epoch(const EpochRecord& record, Model& model) override;
  void check(bool has_validation) const override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;
  // The callbacks whose state its checkpoints keep, in the run's order (itself among them).
  void keep_states_of(const std::vector<std::shared_ptr<Callback>>& callbacks);

 private:
  std::vector<std::weak_ptr<const Callback>> kept_;  // weak: the list holds this checkpoint too
  std::filesystem::path path_;
  Spec spec_;
  const Registry& registry_;
  bool best_only_;
  std::string monitor_;
  std::shared_ptr<Optimizer> optimizer_;
  bool have_best_ = false;
  double best_ = 0.0;
};

// Writes the history after every epoch: CSV (epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds, with
// mae for accuracy when the targets are values) or, for a
// path ending in .jsonl, one JSON object per line. The file is replaced whole each time (temporary + rename); a
// checkpoint keeps its lines, so that a resumed run's history starts with the epochs before it.
class HistoryWriter final : public Callback {
 public:
  bool writes_only_files() const override { return true; }
  explicit HistoryWriter(std::filesystem::path path);
  void on_train_begin(Model& model, const Dataset& train) override;  // refuses a path it could not write
  bool on_epoch_end(const EpochRecord& record, Model& model) override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;

 private:
  std::filesystem::path path_;
  std::vector<std::string> lines_;
};

// Lowers the learning rate when `monitor` stops improving, as PyTorch's ReduceLROnPlateau (and Keras' callback of
// that name), the chapter's "reduce the learning rate by a constant (e.g. 0.5) whenever the validation error stops
// improving". An epoch improves on the best when its value is below best * (1 - threshold) (threshold_mode "rel")
// or best - threshold ("abs"), above for the accuracies. After more than `patience` epochs without improvement the
// rate is multiplied by `factor`, never below min_lr, and `cooldown` epochs pass before epochs without improvement
// count again. The reduction multiplies what the optimizer's lr and the schedule give, from the next epoch on.
class ReduceLrOnPlateau final : public Callback {
 public:
  struct Settings {
    std::string monitor = "val_loss";
    double factor = 0.1;
    int patience = 10;
    double threshold = 1e-4;
    bool relative_threshold = true;
    int cooldown = 0;
    double min_lr = 0.0;
    // Keras's ReduceLROnPlateau's counting in place of PyTorch's: the rate falls after `patience` bad epochs, not
    // more than patience, and the epoch that ends a cooldown counts.
    bool keras_rules = false;
  };
  explicit ReduceLrOnPlateau(Settings settings);
  bool on_epoch_end(const EpochRecord& record, Model& model) override;
  void check(bool has_validation) const override;
  double adjust_learning_rate(double lr) const override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;

 private:
  bool improves(double value) const;
  void lower(double lr);  // the reduction, then the cooldown
  Settings settings_;
  bool minimize_;
  double best_, scale_ = 1.0;
  int bad_epochs_ = 0, cooldown_left_ = 0;
};

// An exponential moving average of the trainable weights, updated after every step on the backend:
// average = decay * average + (1 - decay) * weights, starting from the weights after the first step. When
// training ends the model takes the averaged weights (Keras' use_ema), which usually generalise a little better
// than the last ones; validation during training sees the raw weights. Listed after early stopping with
// restore_best, the average wins. With recompute_statistics, batch norm's running statistics are then gathered
// again for the averaged weights (as timm's EMA of the buffers would keep them).
class WeightAverage final : public Callback {
 public:
  explicit WeightAverage(double decay, bool recompute_statistics = false);
  bool on_batch_end(const BatchRecord& record, Model& model) override;
  void on_train_end(Model& model) override;
  bool needs_statistics_recomputed() const override { return recompute_statistics_ && !average_.empty(); }
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;

 private:
  double decay_;
  bool recompute_statistics_;
  ParameterCopies average_;
};

// The spec's "callbacks" list: {"type": "early_stopping", "monitor": "val_loss", "min_delta": 0, "patience": 5,
// "restore_best": true}, {"type": "checkpoint", "path": "model.safetensors", "best_only": false, "monitor":
// "val_loss"}, {"type": "history", "path": "history.csv"}, {"type": "ema", "decay": 0.999, "update_bn": false}, {"type": "swa", "start_epoch": 10, "lr": 0.01,
// "anneal_epochs": 10, "anneal_strategy": "cos", "update_bn": true} (stochastic_weight_average.hpp), {"type": "lookahead", "k": 5,
// "alpha": 0.5} (lookahead.hpp), {"type": "monitor", "path": "monitor.jsonl",
// "samples": 64, "bins": 30} (training_monitor.hpp), {"type": "reduce_lr_on_plateau", "monitor": "val_loss", "factor": 0.1,
// "patience": 10, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 0, "min_lr": 0, "rules": "pytorch"}. Relative paths resolve
// against the spec's folder.
// Checkpoints hold the state of `optimizer` (the run's).
std::vector<std::shared_ptr<Callback>> make_callbacks(const Spec& spec, const Registry& registry, std::shared_ptr<Optimizer> optimizer);

}  // namespace nnplug
