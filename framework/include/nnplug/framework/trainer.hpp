#pragma once
// Trainer: mini-batch training of a Model with a Loss and an Optimizer on host-held Datasets.
// Each epoch visits the training set in an order shuffled from the seed (or draws its samples by class weights), uploads one batch at a time (augmented and
// mixed where asked), runs forward, loss and backward, takes an optimizer step (after every batch, or every
// gradient_accumulation_steps batches), and then scores the validation set in eval mode.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/framework/callbacks.hpp"
#include "nnplug/framework/class_sampler.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/gradient_accumulator.hpp"
#include "nnplug/framework/gradient_reducer.hpp"
#include "nnplug/framework/image_augmentation.hpp"
#include "nnplug/framework/loss_weighting.hpp"
#include "nnplug/framework/mixup.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug {

struct FitOptions {
  int epochs = 1;
  int initial_epoch = 0;  // epochs already done (a resumed run): training goes on from epoch initial_epoch + 1
  std::int64_t batch_size = 32;
  bool shuffle = true;
  bool drop_last = false;  // drop the last incomplete batch of an epoch
  std::optional<ClassSampling> sampling;  // each epoch's samples drawn by class weights (class_sampler.hpp), not shuffled
  // An optimizer step every this many batches and after an epoch's last, of the mean loss over their samples (see
  // GradientAccumulator): the schedule's steps, the progress bar and the callbacks' batches count these updates.
  std::int64_t gradient_accumulation_steps = 1;
  std::uint64_t seed = 0;
  bool progress = true;    // progress bar on a terminal
  std::shared_ptr<Schedule> schedule;  // optional: sets the optimizer's learning rate before every step
  std::vector<std::shared_ptr<GradientTransform>> gradient_transforms;  // applied in order before every step
  std::shared_ptr<const ImageAugmentation> augmentation;  // optional: applied to every training batch
  // Above 0: every training sample blended with another (see Mixup), its λ ~ Beta(α, α): mixup, CutMix, or either.
  double mixup_alpha = 0.0, cutmix_alpha = 0.0;
  LossWeighting loss_weighting;  // Keras's sample_weight and class_weight: each sample's loss gradient times its weight
  std::vector<std::shared_ptr<Callback>> callbacks;        // after every epoch, in order; any may stop training
};

// What the score beside the loss measures. Accuracy: with class labels, the share of samples whose highest output
// is the label (one output: class 1 where it is positive, or above 1/2 under an identity link); with value targets
// of a loss that scores labels (scores_labels: multi-label), the share of outputs on the target's side (Keras's
// binary accuracy); with class probabilities (soft_labels), the share whose highest output is the most probable
// class; with class labels per step (step_labels.hpp), the share of scored steps whose highest output is the label.
// MeanAbsoluteError: with other value targets (regression).
enum class ScoreKind { Accuracy, MeanAbsoluteError };
// "accuracy" or "mae": the score's name in printed lines, histories and monitors ("val_" before it for validation).
const char* score_name(ScoreKind kind);
ScoreKind score_kind(const Loss& loss, const Shape& output, const Dataset& data);
// Whether the data's targets are rows over the classes for the loss (reads_class_rows: probabilities under a softmax
// link, one-hot rows under class scores): soft labels, scored by accuracy against each sample's most probable class.
bool soft_labels(const Loss& loss, const Dataset& data);
// Whether the data's targets are scored as values (a regression, multi-label): value targets that are neither class
// probabilities nor labels or distributions per step. Model::trained_on_values keeps it for the training data.
bool scored_as_values(const Loss& loss, const Shape& output, const Dataset& data);
// Throws ShapeError when the loss cannot score the model's per-sample `output` against the data's targets: class
// labels below num_classes (Loss::check), class labels per step (check_step_labels), or value targets, which need a
// TargetKind::Values loss, one output per target value and, for a loss that scores labels (sigmoid or sign link),
// values in [0, 1].
void check_targets(const Loss& loss, const Shape& output, const Dataset& data);
// Value targets that a loss of class labels reads as labels, as Python's fit reads its y: one whole number >= 0 per
// sample (a float array's: y saved from pandas), or one-hot rows (Keras's to_categorical). Converted in place where
// every row is one; other targets are left for check_targets to refuse.
void take_class_labels(const Loss& loss, const Shape& output, Dataset& data);
// Labels counted from 1 (1 to 3 for three classes; SVHN's 1 to 10) leave class 0 without a sample and ask for an
// output more than there are classes: what check_targets adds to its refusal, "" unless the labels start at 1.
std::string labels_from_one(const Dataset& data);

struct Scores {
  double loss = 0.0;
  double score = 0.0;  // of `kind`
  ScoreKind kind = ScoreKind::Accuracy;
};

struct EpochRecord {
  int epoch = 0;           // 1-based
  Scores train;
  Scores validation;       // zero when there is no validation set
  bool has_validation = false;
  double seconds = 0.0;
  double learning_rate = 0.0;
};

// Class labels as a TargetKind::Values loss wants them: one-hot rows of `width` values, or the label itself when
// the model has a single output. An unknown label (-1, samples to predict) gives a row of zeros.
std::vector<float> label_values(const std::vector<std::int32_t>& labels, std::int64_t width);

class Trainer {
 public:
  // predict() needs neither loss nor optimizer (either may be null); evaluate() needs the loss, fit() both.
  Trainer(Model& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer);

  // Trains data-parallel over the communicator's ranks from here on (each rank runs this same program): every
  // parameter takes rank 0's value now; each rank takes its share of every global batch of fit() and evaluate();
  // gradients are averaged in buckets of about bucket_bytes while backward runs, sent with `compression`; metrics
  // are summed over the ranks, so that every rank sees the same numbers; callbacks that only write files run on
  // rank 0 alone.
  void distribute(std::shared_ptr<Communicator> communicator, std::size_t bucket_bytes = kDefaultBucketBytes,
                  Compression compression = Compression::None);
  static constexpr std::size_t kDefaultBucketBytes = 25u << 20;  // DistributedDataParallel's bucket_cap_mb
  // The gradient reducer of a distributed trainer (null in one process): its buckets and waits, for benchmarks.
  const GradientReducer* gradient_reducer() const { return reducer_.get(); }

  // Trains; calls on_epoch after each epoch. Throws Error when the loss becomes NaN or infinite, naming the
  // epoch and batch. Returns the history.
  std::vector<EpochRecord> fit(const Dataset& train, const Dataset* validation, const FitOptions& options,
                               const std::function<void(const EpochRecord&)>& on_epoch = {});
  // Mean loss and score over the whole set, in eval mode. Every rank must call it when distributed.
  Scores evaluate(const Dataset& data, std::int64_t batch_size);
  // The model's outputs for every sample, in eval mode: size() rows of output_shape().numel() values.
  std::vector<float> predict(const Dataset& data, std::int64_t batch_size);
  // Gathers the model's running statistics (batch norm's) again, for the weights it holds now, as the equal mean over
  // training-mode passes of the set's batches in order, without augmentation (PyTorch's swa_utils.update_bn); the
  // other weights stay as they are. fit() calls it when a callback put averaged weights into the model. Every rank
  // must call it when distributed: each passes its share of every batch, and the ranks' means are averaged.
  void recompute_statistics(const Dataset& data, std::int64_t batch_size, bool drop_last = false);

 private:
  // Gathers samples order[begin, end) of data into host_labels_ (and their value targets into host_target_), and
  // into x_ itself where the backend's tensors are host memory (gathered_in_place_), else into host_x_.
  void gather_batch(const Dataset& data, const std::vector<std::int64_t>& order, std::int64_t begin, std::int64_t end);
  // Calls f with the gathered batch's values (float* or double*): x_'s own memory where gathered in place.
  template <typename F>
  void visit_batch(F&& f) {
    if (!gathered_in_place_) host_x_.visit([&](auto& values) { f(values.data()); });
    else if (model_.dtype() == DType::Float64) f(static_cast<double*>(model_.backend().write_in_place(x_)));
    else f(static_cast<float*>(model_.backend().write_in_place(x_)));
  }
  // Applies the augmentation to `count` samples at `values`, which stand at epoch positions from `first`.
  template <typename T>
  void augment(const FitOptions& options, int epoch, T* values, std::int64_t count, std::int64_t first, const Shape& sample_shape) const;
  // Blends the gathered batch of `count` samples from epoch position `first` with their partners (Mixup), samples
  // and targets; the batch's targets are values from then on.
  void mix_batch(const Dataset& data, const std::vector<std::int64_t>& order, std::int64_t first, std::int64_t count, const Mixup& mixup,
                 const FitOptions& options, int epoch);
  // Uploads the gathered batch into x_, labels_ and target_.
  void upload_batch(const Shape& sample_shape);
  void load_batch(const Dataset& data, const std::vector<std::int64_t>& order, std::int64_t begin, std::int64_t end) {
    gather_batch(data, order, begin, end);
    upload_batch(data.sample_shape);
  }
  // Runs forward and the loss on the loaded batch; fills metrics_ (the mean loss and, with class labels, the number
  // of correct predictions) and, when grad, dprediction_. Reads nothing back.
  void score_batch(bool grad);
  // score_batch's loss, correct count and loss gradient of a batch with class labels per step (step_labels.hpp):
  // every step a row of the scores, and only the scored steps' rows scored.
  void score_steps(const Tensor& y, const Tensor& loss, const Tensor& correct, bool grad);
  // Whether the batch is scored on the host rather than by op::CountCorrect, which decides one output at 0 (a logit,
  // a margin): value targets, and one output regressed on its 0 or 1 label (an identity link), which decides at 1/2.
  bool scores_on_host() const;
  struct BatchScores {
    // The batch's mean loss; the sum of the scores (score_kind_) of what it scores, and how many it scores: its
    // samples, or the steps with a label.
    double loss, score_sum, units;
  };
  BatchScores read_batch_scores() const;
  // Uploads the loss weights of the training samples at order[first, first + count) into batch_loss_weights_.
  void upload_loss_weights(const std::vector<std::int64_t>& order, std::int64_t first, std::int64_t count);
  // Forward and loss on the loaded batch of `samples` (0 for a rank without samples in this step), then, when
  // distributed, the sums over the ranks: the global batch's mean loss (over what it scores), score sum and units.
  BatchScores score_global_batch(bool grad, std::int64_t samples, const char* part);
  // Backward of the loaded batch, its loss gradient weighed by `weight`: this rank's share of its update's samples.
  void backward(double weight, const std::function<void(std::size_t)>& gradients_written = {});
  // The loaded batch's activity penalties, of this rank's own samples summed over the ranks; with_parameters, plus the
  // parameter penalties of the update just taken.
  double batch_penalty(bool has_samples, bool with_parameters) const;
  // Backward of the update's last batch (when has_samples) through the optimizer step, with `accumulated`'s sums
  // of the update's earlier batches when given; a distributed step averages the gradients first.
  void update(const FitOptions& options, const std::vector<Parameter*>& parameters, std::int64_t global_step,
              double weight, bool has_samples, GradientAccumulator* accumulated);
  // The batches of an epoch of n samples: the last one short, or dropped with drop_last where a whole one is left.
  static std::int64_t batches_in_epoch(std::int64_t n, std::int64_t batch_size, bool drop_last) {
    return drop_last && n >= batch_size ? n / batch_size : (n + batch_size - 1) / batch_size;
  }
  int rank() const { return communicator_ ? communicator_->rank() : 0; }
  int ranks() const { return communicator_ ? communicator_->size() : 1; }

  Model& model_;
  std::shared_ptr<Loss> loss_fn_;
  std::shared_ptr<Optimizer> optimizer_;
  // The optimizer's learning rate when the trainer was made: what a schedule scales at every step, in every fit()
  // (the optimizer's own holds the last step's).
  double base_lr_ = 0.0;
  SampleValues host_x_, partner_x_;  // partner_x_: a mixed batch's partners
  bool gathered_in_place_ = false;
  std::vector<float> host_target_;
  std::vector<std::int32_t> host_labels_;
  bool value_targets_ = false;                 // the gathered batch's targets are host_target_'s values
  bool soft_labels_ = false;                   // ... class probabilities, host_labels_ their most probable classes
  // Above 0: the batch is scored a row per step (step_labels.hpp), of this many classes; host_step_labels_ holds the
  // labels of its scored steps, scored_steps_ their positions among the batch's steps. With step_distributions_ the
  // targets are host_target_'s distributions, one per step, every step scored, and the labels their most probable.
  std::int64_t step_classes_ = 0;
  bool step_distributions_ = false;
  std::vector<std::int32_t> host_step_labels_;
  std::vector<float> scored_steps_;
  ScoreKind score_kind_ = ScoreKind::Accuracy;  // of the set being trained or evaluated
  // fit's loss weight of each training sample (loss_weighting.hpp), empty where none is weighed; the batch's, one per
  // sample (N, 1), spread over each sample's outputs by a row of ones, multiply its loss gradient.
  std::vector<double> sample_weights_;
  Tensor sample_loss_weights_, output_ones_, batch_loss_weights_;
  Tensor x_, target_, labels_, metrics_, dprediction_, prediction_;
  Tensor scored_rows_, scored_scores_, dscored_scores_;  // per-step labels with steps not scored: their rows (score_steps)
  Tensor step_rows_;  // targets per step for a loss of values: the scored steps' classes one-hot, or distributions (step_targets)
  std::shared_ptr<Communicator> communicator_;  // null: one process
  std::unique_ptr<GradientReducer> reducer_;
  std::vector<std::string> bucket_update_names_;  // run_step's name of each bucket's update
  std::vector<Parameter*> frozen_;                 // the parameters in no bucket
  std::string synchronising_layer_;  // a layer whose training passes are collective, "" when none
};

}  // namespace nnplug
