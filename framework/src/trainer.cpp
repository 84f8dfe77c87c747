#include "nnplug/framework/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/framework/data_parallel.hpp"
#include "nnplug/framework/grouped_optimizer.hpp"
#include "nnplug/framework/progress_bar.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug {

namespace {
// A loss for a message: "nan", not "-nan" (a NaN's sign bit says nothing to the user).
double unsigned_nan(double v) { return std::isnan(v) ? std::fabs(v) : v; }
// A sum's mean over the things it counts; 0 over none (a set of sequences whose every step is padding).
double share(double sum, double units) { return units > 0.0 ? sum / units : 0.0; }
}  // namespace

std::vector<float> label_values(const std::vector<std::int32_t>& labels, std::int64_t width) {
  std::vector<float> values(labels.size() * static_cast<std::size_t>(width), 0.0f);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (width == 1) values[i] = static_cast<float>(labels[i]);
    else if (labels[i] >= width) throw InvalidArgument(fmt::format("label {} is outside the model's {} outputs", labels[i], width));
    else if (labels[i] >= 0) values[i * static_cast<std::size_t>(width) + static_cast<std::size_t>(labels[i])] = 1.0f;
  }
  return values;
}

const char* score_name(ScoreKind kind) { return kind == ScoreKind::Accuracy ? "accuracy" : "mae"; }

bool soft_labels(const Loss& loss, const Dataset& data) {
  return data.has_value_targets() && loss.target_kind() == TargetKind::Values && reads_class_rows(loss.output_link());
}

bool scored_as_values(const Loss& loss, const Shape& output, const Dataset& data) {
  return data.has_value_targets() && !soft_labels(loss, data) && !scores_steps(loss, output, data.target_width);
}

ScoreKind score_kind(const Loss& loss, const Shape& output, const Dataset& data) {
  return !data.has_value_targets() || loss.target_kind() == TargetKind::ClassIndex || scores_labels(loss.output_link()) || soft_labels(loss, data) ||
                 labels_per_step(loss, output, data.target_width)
             ? ScoreKind::Accuracy
             : ScoreKind::MeanAbsoluteError;
}

namespace {
// The shape without its axes of length 1, which move no value in C order.
Shape without_unit_axes(const Shape& shape) {
  Shape kept;
  for (const std::int64_t d : shape)
    if (d != 1) kept.push_back(d);
  return kept;
}

// Targets given with axes per sample (data.target_shape) are read in C order as the model's output lies, or as a
// label at each of its steps: axes in another order are refused, not read as the output's.
void check_target_shape(const Shape& output, const Dataset& data) {
  if (data.target_shape.rank() < 2 || output.rank() < 1) return;
  const Shape given = without_unit_axes(data.target_shape), steps(std::vector<std::int64_t>(output.begin(), output.end() - 1));
  if (given == without_unit_axes(output) || given == without_unit_axes(steps)) return;
  throw ShapeError(fmt::format("{}: the targets have shape {} per sample, but the model outputs {} (targets shaped as it, or a class label "
                               "at each of its steps, {}); give the targets' axes in the output's order",
                               data.target_source, data.target_shape.str(), output.str(), steps.str()));
}
}  // namespace

void take_class_labels(const Loss& loss, const Shape& output, Dataset& data) {
  const std::int64_t width = data.target_width;
  if (data.labels.empty() || !data.has_value_targets() || loss.target_kind() != TargetKind::ClassIndex || labels_per_step(loss, output, width) ||
      data.target_shape.rank() > 2)
    return;
  std::vector<std::int32_t> labels(data.labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* row = data.targets.data() + i * static_cast<std::size_t>(width);
    if (width == 1) {
      if (!(row[0] >= 0.0f && row[0] <= 1e9f && row[0] == std::floor(row[0]))) return;
      labels[i] = static_cast<std::int32_t>(row[0]);
    } else {
      const float* end = row + width;
      if (std::count(row, end, 1.0f) != 1 || std::count(row, end, 0.0f) != width - 1) return;
      labels[i] = static_cast<std::int32_t>(std::find(row, end, 1.0f) - row);
    }
  }
  data.num_classes = width == 1 ? std::ranges::max(labels) + 1 : width;
  data.labels = std::move(labels);
  data.targets.clear(), data.target_width = 0, data.target_shape = Shape(), data.target_source.clear();
}

std::string labels_from_one(const Dataset& data) {
  if (data.labels.empty() || std::ranges::min(data.labels) != 1) return "";
  return fmt::format("no sample has label 0, the labels run from 1 to {}: classes count from 0, as in PyTorch and Keras",
                     std::ranges::max(data.labels));
}

void check_targets(const Loss& loss, const Shape& output, const Dataset& data) {
  check_target_shape(output, data);
  if (labels_per_step(loss, output, data.target_width)) return check_step_labels(loss, output, data);
  if (!data.has_value_targets()) {
    try {
      return loss.check(output, data.num_classes);
    } catch (const ShapeError& e) {
      if (const std::string from_one = labels_from_one(data); !from_one.empty()) throw ShapeError(fmt::format("{}; {}", e.what(), from_one));
      // One output for two classes is the binary form Keras users write ("hinge" on one unit): name its losses.
      if (output.numel() != 1 || data.num_classes != 2) throw;
      throw ShapeError(fmt::format("{}; or, with one output, a binary loss: binary_cross_entropy (logistic) or attribute_hinge (Keras's hinge, "
                                   "a binary SVM)", e.what()));
    }
  }
  if (loss.target_kind() != TargetKind::Values)
    throw ShapeError(fmt::format("loss {} scores class labels, but the data's targets are {} value{} per sample (data.targets); choose a loss "
                                 "of values (mse, mae, huber, log_cosh, poisson, binary_cross_entropy, multilabel_sigmoid), or for class probabilities "
                                 "softmax_cross_entropy with \"targets\": \"probabilities\" or kl_divergence",
                                 loss.type(), data.target_width, data.target_width == 1 ? "" : "s"));
  if (output.numel() != data.target_width)
    throw ShapeError(fmt::format("the model outputs {} value{} per sample ({}), but the data has {} target value{} per sample", output.numel(),
                                 output.numel() == 1 ? "" : "s", output.str(), data.target_width, data.target_width == 1 ? "" : "s"));
  // A probability's target outside [0, 1] gives a loss below zero that training drives to minus infinity; a
  // margin's target is a side, and a value between would be read as one.
  if (!scores_labels(loss.output_link()) && !soft_labels(loss, data)) return;
  const bool margins = loss.output_link() == OutputLink::Sign;
  const auto outside = std::find_if(data.targets.begin(), data.targets.end(), [margins](float t) {
    return margins ? !(t == -1.0f || t == 0.0f || t == 1.0f) : !(t >= 0.0f && t <= 1.0f);
  });
  if (outside == data.targets.end()) return;
  const auto at = static_cast<std::int64_t>(outside - data.targets.begin());
  throw ShapeError(fmt::format("loss {} scores labels {}, but target {} of sample {} is {} (its row in the data, counted from 0)", loss.type(),
                               margins ? "by the sign of its outputs, so its targets are 0 or 1, or -1 and +1"
                                       : "(0 or 1, or a probability between), so its targets are in [0, 1]",
                               at % data.target_width, data.row(at / data.target_width), *outside));
}

Trainer::Trainer(Model& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer)
    : model_(model), loss_fn_(std::move(loss)), optimizer_(std::move(optimizer)) {
  if (!optimizer_) return;
  if (auto* grouped = dynamic_cast<GroupedOptimizer*>(optimizer_.get())) grouped->name_parameters(model_);
  optimizer_->attach(model_.parameters(true));
  base_lr_ = optimizer_->learning_rate();
}

void Trainer::distribute(std::shared_ptr<Communicator> communicator, std::size_t bucket_bytes, Compression compression) {
  if (!communicator) throw InvalidArgument("distribute() needs a communicator");
  communicator_ = std::move(communicator);
  reducer_.reset();
  synchronising_layer_ = model_.set_communicator(communicator_->size() > 1 ? communicator_.get() : nullptr);
  if (communicator_->size() == 1) return;
  broadcast_parameters(*communicator_, model_);
  reducer_ = std::make_unique<GradientReducer>(model_, communicator_, bucket_bytes, compression);
  bucket_update_names_.clear();
  for (std::size_t b = 0; b < reducer_->buckets(); ++b) bucket_update_names_.push_back(fmt::format("train update, bucket {}", b));
  frozen_.clear();
  for (Parameter* p : model_.parameters(false))
    if (!p->trainable) frozen_.push_back(p);
}

void Trainer::gather_batch(const Dataset& data, const std::vector<std::int64_t>& order, std::int64_t begin,
                           std::int64_t end) {
  const std::int64_t n = end - begin;
  const auto rows = std::span(order).subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(n));
  const auto features = static_cast<std::size_t>(data.features());
  // A backend whose tensors are host memory gets the samples gathered straight into its input tensor.
  Backend& be = model_.backend();
  gathered_in_place_ = be.host_addressable() && data.x.dtype() == model_.dtype() && n > 0;
  if (gathered_in_place_) {
    ensure(x_, be, data.sample_shape.with_batch(n), model_.dtype());
    void* x = be.write_in_place(x_);
    if (model_.dtype() == DType::Float64) data.x.gather_rows(rows, features, static_cast<double*>(x));
    else data.x.gather_rows(rows, features, static_cast<float*>(x));
  } else {
    data.x.gather_rows(rows, features, host_x_);
  }
  host_labels_.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    host_labels_[static_cast<std::size_t>(i)] = data.labels[static_cast<std::size_t>(order[static_cast<std::size_t>(begin + i)])];
  value_targets_ = data.has_value_targets();
  soft_labels_ = loss_fn_ && soft_labels(*loss_fn_, data);
  const Shape& output = model_.output_shape();
  step_classes_ = value_targets_ && loss_fn_ && scores_steps(*loss_fn_, output, data.target_width) ? output[output.rank() - 1] : 0;
  step_distributions_ = step_classes_ && distributions_per_step(*loss_fn_, output, data.target_width);
  if (!value_targets_) return;
  const auto width = static_cast<std::size_t>(data.target_width);
  host_target_.resize(static_cast<std::size_t>(n) * width);
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(data.targets.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(rows[i]) * width), width,
                host_target_.begin() + static_cast<std::ptrdiff_t>(i * width));
  if (step_classes_) {  // the targets are labels, one per step, and the steps that have one are scored; or distributions
    value_targets_ = false;
    scored_steps_.clear();
    host_step_labels_.clear();
    if (step_distributions_) {  // every step scored; its most probable class for the accuracy
      for (std::size_t i = 0; i < host_target_.size(); i += static_cast<std::size_t>(step_classes_))
        host_step_labels_.push_back(most_probable_class(host_target_.data() + i, step_classes_));
      return;
    }
    for (std::size_t i = 0; i < host_target_.size(); ++i) {
      const std::int32_t label = step_label(host_target_[i]);
      if (label < 0) continue;
      scored_steps_.push_back(static_cast<float>(i));
      host_step_labels_.push_back(label);
    }
    return;
  }
  if (!model_.target_scaling().empty()) model_.target_scaling().standardize(host_target_);  // as the loss sees them
  for (std::size_t i = 0; soft_labels_ && i < rows.size(); ++i)
    host_labels_[i] = most_probable_class(host_target_.data() + i * width, data.target_width);
}

template <typename T>
void Trainer::augment(const FitOptions& options, int epoch, T* values, std::int64_t count, std::int64_t first, const Shape& sample_shape) const {
  options.augmentation->apply(values, count, sample_shape, counter_random::mix(options.seed, static_cast<std::uint64_t>(epoch)),
                              static_cast<std::uint64_t>(first));
}

void Trainer::mix_batch(const Dataset& data, const std::vector<std::int64_t>& order, std::int64_t first, std::int64_t count, const Mixup& mixup,
                        const FitOptions& options, int epoch) {
  // The partners' samples, each augmented as at its own position.
  std::vector<std::int64_t> partners(static_cast<std::size_t>(count)), rows(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    partners[static_cast<std::size_t>(i)] = mixup.partner(first + i);
    rows[static_cast<std::size_t>(i)] = order[static_cast<std::size_t>(partners[static_cast<std::size_t>(i)])];
  }
  const auto features = data.features();
  data.x.gather_rows(rows, static_cast<std::size_t>(features), partner_x_);
  partner_x_.visit([&](auto& partner) {
    for (std::int64_t i = 0; options.augmentation && i < count; ++i)
      augment(options, epoch, partner.data() + i * features, 1, partners[static_cast<std::size_t>(i)], data.sample_shape);
    visit_batch([&](auto* values) {
      using T = std::remove_pointer_t<decltype(values)>;
      if constexpr (std::is_same_v<T, typename std::remove_reference_t<decltype(partner)>::value_type>)
        mixup.blend_samples(values, partner.data(), count, data.sample_shape, first);
      else
        throw Error("mixup: the batch and its partners are read in different dtypes");  // both are the data's
    });
  });
  // The targets: value rows, or class labels one-hot, blended alike; then the batch's targets are values.
  const std::int64_t width = data.has_value_targets() ? data.target_width : model_.output_shape().numel();
  std::vector<float> partner_target;
  if (data.has_value_targets()) {
    for (const std::int64_t row : rows)
      partner_target.insert(partner_target.end(), data.targets.begin() + row * width, data.targets.begin() + (row + 1) * width);
    if (!model_.target_scaling().empty()) model_.target_scaling().standardize(partner_target);
  } else {
    std::vector<std::int32_t> partner_labels;
    for (const std::int64_t row : rows) partner_labels.push_back(data.labels[static_cast<std::size_t>(row)]);
    host_target_ = label_values(host_labels_, width);
    partner_target = label_values(partner_labels, width);
    value_targets_ = true;
  }
  mixup.blend_targets(host_target_.data(), partner_target.data(), count, width, first, data.sample_shape);
  soft_labels_ = reads_class_rows(loss_fn_->output_link());
  for (std::int64_t i = 0; soft_labels_ && i < count; ++i)
    host_labels_[static_cast<std::size_t>(i)] = most_probable_class(host_target_.data() + i * width, width);
}

void Trainer::upload_batch(const Shape& sample_shape) {
  Backend& be = model_.backend();
  const auto n = static_cast<std::int64_t>(host_labels_.size());
  if (!gathered_in_place_) {
    ensure(x_, be, sample_shape.with_batch(n), model_.dtype());
    host_x_.visit([&](const auto& values) { from_host(x_, values); });
  }
  if (!loss_fn_) return;  // predicting: no targets
  if (step_classes_) {
    // The scored steps' labels and, where some steps are not, the rows of those that are, in the scores (N * steps, classes).
    const auto scored = static_cast<std::int64_t>(host_step_labels_.size());
    if (scored == 0) return;
    ensure(labels_, be, Shape{scored}, DType::Int32);
    be.upload(labels_, host_step_labels_.data(), labels_.bytes());
    target_ = step_targets(*loss_fn_, host_step_labels_, labels_, step_classes_, model_.dtype(), step_rows_,
                           step_distributions_ ? &host_target_ : nullptr);
    if (step_distributions_ || scored == static_cast<std::int64_t>(host_target_.size())) return;
    // The rows are indexed in the model's dtype (op::GatherRows), which float32 holds exactly up to 2^24.
    if (model_.dtype() == DType::Float32 && host_target_.size() > (std::size_t{1} << 24))
      throw InvalidArgument(fmt::format("a batch of {} steps with padding: a float32 model scores at most 2^24 steps of such a batch; lower "
                                        "batch_size", host_target_.size()));
    ensure(scored_rows_, be, Shape{scored}, model_.dtype());
    from_host(scored_rows_, scored_steps_);
    return;
  }
  if (!value_targets_ || soft_labels_) {
    ensure(labels_, be, Shape{n}, DType::Int32);
    be.upload(labels_, host_labels_.data(), labels_.bytes());
  }
  if (!value_targets_) {
    if (loss_fn_->target_kind() == TargetKind::ClassIndex) {
      target_ = labels_;
      return;
    }
    host_target_ = label_values(host_labels_, model_.output_shape().numel());
  }
  ensure(target_, be, model_.output_shape().with_batch(n), model_.dtype());
  from_host(target_, host_target_);
}

void Trainer::score_batch(bool grad) {
  Backend& be = model_.backend();
  const Tensor& y = model_.forward(x_);
  // The loss and the correct count side by side, so that one download reads both.
  ensure(metrics_, be, Shape{2}, model_.dtype());
  const Tensor loss = metrics_.rows(0, 1), correct = metrics_.rows(1, 2);
  if (grad) ensure(dprediction_, be, y.shape(), model_.dtype());
  prediction_ = y;
  if (step_classes_) score_steps(y, loss, correct, grad);
  else loss_fn_->compute(y, target_, loss, grad ? dprediction_ : Tensor());
  if (grad && !sample_weights_.empty()) be.run(op::Multiply{dprediction_, batch_loss_weights_, dprediction_});
  if (!step_classes_ && !scores_on_host()) be.run(op::CountCorrect{y.reshape(Shape{y.dim(0), y.numel() / y.dim(0)}), labels_, correct});
}

void Trainer::upload_loss_weights(const std::vector<std::int64_t>& order, std::int64_t first, std::int64_t count) {
  Backend& be = model_.backend();
  const Shape& output = model_.output_shape();
  std::vector<double> weights(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i)
    weights[static_cast<std::size_t>(i)] = sample_weights_[static_cast<std::size_t>(order[static_cast<std::size_t>(first + i)])];
  from_host(ensure(sample_loss_weights_, be, Shape{count, 1}, model_.dtype()), weights);
  // Each sample's weight over its outputs, on the backend: the column of weights times a row of ones (an outer
  // product), so that only one value per sample crosses from the host.
  if (!output_ones_.defined() || output_ones_.numel() != output.numel()) {
    output_ones_ = be.empty(Shape{1, output.numel()}, model_.dtype());
    be.run(op::Fill{output_ones_, 1.0});
  }
  ensure(batch_loss_weights_, be, output.with_batch(count), model_.dtype());
  be.run(op::Gemm{.a = sample_loss_weights_, .b = output_ones_, .c = batch_loss_weights_.reshape(Shape{count, output.numel()})});
}

void Trainer::score_steps(const Tensor& y, const Tensor& loss, const Tensor& correct, bool grad) {
  Backend& be = model_.backend();
  const std::int64_t rows = y.numel() / step_classes_, scored = static_cast<std::int64_t>(host_step_labels_.size());
  const Tensor scores = y.reshape(Shape{rows, step_classes_}), dscores = grad ? dprediction_.reshape(scores.shape()) : Tensor();
  if (scored == 0) {  // nothing to score: no loss and no gradient (PyTorch's mean over no steps would be NaN)
    be.run(op::Fill{metrics_, 0.0});
    if (grad) be.run(op::Fill{dprediction_, 0.0});
    return;
  }
  const Tensor& scored_scores =
      score_step_rows(be, *loss_fn_, scores, scored == rows ? Tensor() : scored_rows_, target_, loss, dscores, scored_scores_, dscored_scores_);
  be.run(op::CountCorrect{scored_scores, labels_, correct});
}

bool Trainer::scores_on_host() const {
  return (value_targets_ && !soft_labels_) || (model_.output_shape().numel() == 1 && loss_fn_->output_link() == OutputLink::Identity);
}

Trainer::BatchScores Trainer::read_batch_scores() const {
  const auto values = to_host<double>(metrics_);
  const auto units = static_cast<double>(step_classes_ ? host_step_labels_.size() : host_labels_.size());
  if (!scores_on_host()) return {values[0], values[1], units};
  // Scored on the host, from the outputs read back: a batch of a few outputs per sample.
  const auto outputs = to_host<double>(prediction_);
  double sum = 0.0;
  if (!value_targets_) {  // one output regressed on the label: class 1 above one half
    for (std::size_t i = 0; i < outputs.size(); ++i) sum += (outputs[i] > 0.5) == (host_labels_[i] == 1);
    return {values[0], sum, units};
  }
  // A standardized target's error is worth its column's std in the targets' units, in which the mae is reported.
  const TargetScaling& scaling = model_.target_scaling();
  for (std::size_t i = 0; i < outputs.size(); ++i)
    sum += score_kind_ == ScoreKind::Accuracy ? (outputs[i] > 0.0) == (host_target_[i] > 0.5f)
                                              : std::fabs(outputs[i] - host_target_[i]) * (scaling.empty() ? 1.0 : scaling.scale(i % scaling.width()));
  return {values[0], sum * units / static_cast<double>(outputs.size()), units};
}

Trainer::BatchScores Trainer::score_global_batch(bool grad, std::int64_t samples, const char* part) {
  BatchScores scores{0.0, 0.0, 0.0};
  if (samples > 0) {
    model_.backend().run_step(part, [&] { score_batch(grad); });
    scores = read_batch_scores();
  }
  if (!reducer_) return scores;
  const auto sums = sum_over_ranks(*communicator_, {scores.loss * scores.units, scores.score_sum, scores.units});
  return {share(sums[0], sums[2]), sums[1], sums[2]};
}

void Trainer::backward(double weight, const std::function<void(std::size_t)>& gradients_written) {
  if (weight != 1.0) model_.backend().run(op::Axpby{dprediction_, dprediction_, weight, 0.0});
  model_.backward(dprediction_, gradients_written);
}

double Trainer::batch_penalty(bool has_samples, bool with_parameters) const {
  const Model::Penalties penalties = model_.penalties();  // one download
  const double activity = has_samples ? penalties.activity : 0.0;
  return (reducer_ ? sum_over_ranks(*communicator_, {activity})[0] : activity) + (with_parameters ? penalties.parameters : 0.0);
}

void Trainer::update(const FitOptions& options, const std::vector<Parameter*>& parameters, std::int64_t global_step,
                     double weight, bool has_samples, GradientAccumulator* accumulated) {
  auto rest = [&] {
    model_.apply_penalties();
    for (const auto& t : options.gradient_transforms) t->apply(parameters, global_step);
    optimizer_->step();
    model_.apply_constraints();
  };
  if (!reducer_) {
    model_.backend().run_step(accumulated ? "train update, accumulated" : "train update", [&] {
      backward(weight);
      if (accumulated) accumulated->add_to_gradients();
      rest();
    });
    return;
  }
  // The reductions leave the backend (and come back at finish()), so backward is not part of a recorded step.
  // Each node's gradients are whole (the update's earlier batches added) before its bucket is sent.
  reducer_->begin();
  if (has_samples)
    backward(weight, [&](std::size_t node) {
      if (accumulated) accumulated->add_to_gradients(node);
      reducer_->layer_done(node);
    });
  else if (accumulated) accumulated->copy_to_gradients();  // sent from finish()
  else reducer_->reduce_zeros();
  if (!options.gradient_transforms.empty() || !optimizer_->steps_in_parts()) {
    reducer_->finish();
    model_.backend().run_step("train update", rest);
    return;
  }
  // Nothing in the update reads all the gradients at once (no gradient transform, an optimizer that updates each
  // parameter from its own gradient): each bucket's parameters are updated as soon as it is reduced, while the
  // buckets after it are still on the wire. The same ops on the same values as one update after the last.
  optimizer_->begin_step();
  reducer_->finish([&](std::size_t b) {
    model_.backend().run_step(bucket_update_names_[b], [&] {
      model_.apply_penalties(&reducer_->parameters(b));
      optimizer_->step_parameters(reducer_->positions(b));
      model_.apply_constraints(&reducer_->parameters(b));
    });
  });
  // A penalty on a frozen parameter still counts in the loss, and a constraint still holds it.
  if (frozen_.empty()) return;
  model_.apply_penalties(&frozen_);
  model_.apply_constraints(&frozen_);
}

std::vector<EpochRecord> Trainer::fit(const Dataset& train, const Dataset* validation, const FitOptions& options,
                                      const std::function<void(const EpochRecord&)>& on_epoch) {
  if (!loss_fn_ || !optimizer_) throw Error("training needs a loss and an optimizer: this Trainer was made without one");
  if (options.batch_size <= 0)
    throw InvalidArgument(fmt::format("batch_size must be a positive integer, got {}", options.batch_size));
  if (options.epochs < 0) throw InvalidArgument(fmt::format("epochs must be >= 0, got {}", options.epochs));
  if (train.size() == 0) throw InvalidArgument("the training set is empty");
  if (!optimizer_) throw InvalidArgument("fit() needs an optimizer");
  check_targets(*loss_fn_, model_.output_shape(), train);
  score_kind_ = score_kind(*loss_fn_, model_.output_shape(), train);
  const bool per_step = scores_steps(*loss_fn_, model_.output_shape(), train.target_width);
  model_.set_trained_on_step_labels(per_step);
  model_.set_trained_on_values(scored_as_values(*loss_fn_, model_.output_shape(), train));
  sample_weights_ = sample_loss_weights(options.loss_weighting, train, *loss_fn_, model_.output_shape());
  // The validation set is scored after the first epoch: what would stop it is found now. One history holds both
  // sets' scores under one name.
  if (validation && validation->size() > 0) check_targets(*loss_fn_, model_.output_shape(), *validation);
  const auto kind_of_targets = [&](const Dataset& data) -> std::string_view {
    return labels_per_step(*loss_fn_, model_.output_shape(), data.target_width) ? "class labels (one per step)"
           : data.has_value_targets()                                           ? "values"
                                                                                : "class labels";
  };
  if (validation && validation->size() > 0 && kind_of_targets(*validation) != kind_of_targets(train))
    throw InvalidArgument(fmt::format("the training data's targets are {} but the validation data's are {}; give both sets the same kind of target",
                                      kind_of_targets(train), kind_of_targets(*validation)));
  if (options.augmentation) options.augmentation->check(train.sample_shape);
  std::optional<Mixup> mixup;
  if (options.mixup_alpha != 0.0 || options.cutmix_alpha != 0.0) {  // NaN and below 0 too, which Mixup refuses
    mixup.emplace(options.mixup_alpha, options.cutmix_alpha, options.seed);
    // The blend of two class labels is a distribution over the classes, which only a loss of class rows takes.
    if (loss_fn_->target_kind() != TargetKind::Values || (!train.has_value_targets() && !reads_class_rows(loss_fn_->output_link())) || per_step)
      throw InvalidArgument(fmt::format("{} blends the targets of two samples, which loss {} cannot take: {}",
                                        options.mixup_alpha > 0.0 ? "mixup" : "cutmix", loss_fn_->type(),
                                        per_step ? "targets per step are not blended"
                                                 : "with class labels, choose softmax_cross_entropy with \"targets\": \"probabilities\""));
    mixup->check(train.sample_shape);
  }
  for (const auto& c : options.callbacks) c->check(validation && validation->size() > 0);

  const std::optional<ClassSampler> sampler =
      options.sampling ? std::optional<ClassSampler>(std::in_place, *options.sampling, train, options.seed) : std::nullopt;
  const std::int64_t n = sampler ? sampler->samples() : train.size(), bs = options.batch_size;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Random random(options.seed);
  const std::int64_t batches = batches_in_epoch(n, bs, options.drop_last);
  const std::int64_t used = std::min(n, batches * bs);  // the samples an epoch trains on
  const std::int64_t smallest_batch = used - (batches - 1) * bs;
  // An optimizer step every `accumulation` batches, and after an epoch's last batch.
  const std::int64_t accumulation = options.gradient_accumulation_steps;
  if (accumulation < 1) throw InvalidArgument(fmt::format("gradient_accumulation_steps must be a positive integer, got {}", accumulation));
  const std::int64_t updates = (batches + accumulation - 1) / accumulation;
  const auto accumulator = accumulation > 1 && batches > 1 ? std::make_unique<GradientAccumulator>(model_) : nullptr;
  std::vector<std::vector<std::uint64_t>> draws;
  if (!synchronising_layer_.empty() && smallest_batch < ranks())
    throw InvalidArgument(fmt::format("{} synchronises its batch statistics across the {} ranks, so each needs a sample of every batch, and "
                                      "a batch of {} leaves some without; choose a batch size that leaves at least {} samples in the last "
                                      "batch, or set training.drop_last",
                                      synchronising_layer_, ranks(), smallest_batch, ranks()));
  // A batch norm with one value per channel in a sample (after a dense layer) cannot normalise a batch of one
  // sample in training, as in PyTorch: found now rather than at the last batch of the first epoch.
  if (smallest_batch == 1 && ranks() == 1)
    for (std::size_t i = 0; i < model_.size(); ++i) {
      const Shape& out = model_.output_shape(i);  // [features], or [channels, ...]
      const std::int64_t values_per_channel = out.rank() == 1 ? 1 : out.numel() / out[0];
      if (model_.layer(i).type() == "batch_norm" && values_per_channel == 1)
        throw InvalidArgument(fmt::format("{} cannot normalise a batch of 1 sample in training (one value per feature): {}", model_.label(i),
                                          bs == 1 ? std::string("choose a batch_size of 2 or more")
                                                  : fmt::format("batch_size {} leaves 1 of the {} samples in the last batch; set training.drop_last, "
                                                                "or a batch size that leaves 0 or at least 2 there", bs, n)));
    }
  // What the samples of a range of the order score, by which a batch is weighed in its update, so that the update's
  // loss is the mean over what all its samples score: the samples, with distributions per step every step of them,
  // or with class labels per step their labelled steps (then two ranks, or accumulated batches, train as one batch
  // of their samples would). In the units the batch's scores are counted in (read_batch_scores).
  const std::vector<std::int64_t> steps_scored =
      labels_per_step(*loss_fn_, model_.output_shape(), train.target_width) ? labelled_steps(train) : std::vector<std::int64_t>();
  // Every step padding would train on nothing at a loss of 0 (PyTorch's mean over no step is NaN).
  if (!steps_scored.empty() && std::all_of(steps_scored.begin(), steps_scored.end(), [](std::int64_t k) { return k == 0; }))
    throw InvalidArgument(fmt::format("every label of the training data's {} samples is negative (a step that is not scored): there is no "
                                      "labelled step to train on", train.size()));
  const auto rows_per_sample = static_cast<double>(std::max<std::int64_t>(scored_rows(*loss_fn_, model_.output_shape(), train.target_width).steps, 1));
  const auto units_of = [&](std::int64_t from, std::int64_t to) {
    if (steps_scored.empty()) return static_cast<double>(to - from) * rows_per_sample;
    std::int64_t sum = 0;
    for (std::int64_t i = from; i < to; ++i) sum += steps_scored[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])];
    return static_cast<double>(sum);
  };
  std::vector<EpochRecord> history;
  const auto parameters = model_.parameters(true);
  // A resumed run replays the batch orders of the epochs it skips, so that it goes on exactly as an
  // uninterrupted run would (the model, optimizer and layer counters come from the checkpoint).
  for (int epoch = 1; epoch <= options.initial_epoch && options.shuffle && !sampler; ++epoch)
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  std::int64_t global_step = static_cast<std::int64_t>(options.initial_epoch) * updates;

  // Callbacks whose only effect is a file run on rank 0 alone.
  std::vector<std::shared_ptr<Callback>> callbacks;
  for (const auto& c : options.callbacks)
    if (rank() == 0 || !c->writes_only_files()) callbacks.push_back(c);
  for (const auto& c : callbacks) c->on_train_begin(model_, train);
  const std::int64_t first_step = global_step;

  for (int epoch = options.initial_epoch + 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    if (sampler) order = sampler->order(epoch);
    else if (options.shuffle)
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
    model_.set_training(true);
    if (mixup) mixup->begin_epoch(epoch, n);
    for (const auto& c : callbacks) c->on_epoch_begin(epoch, model_);
    ProgressBar bar(fmt::format("epoch {}/{}", epoch, options.epochs), updates,
                    options.progress && rank() == 0);
    double loss_sum = 0.0, score_sum = 0.0, score_units = 0.0, loss_units = 0.0;
    bool stopped = false;
    for (std::int64_t b = 0; b < updates && !stopped; ++b) {
      // The update's batches [first_batch, end_batch) and their samples [begin, end).
      const std::int64_t first_batch = b * accumulation, end_batch = std::min(batches, first_batch + accumulation);
      const std::int64_t begin = first_batch * bs, end = std::min(used, end_batch * bs);
      const double update_units = units_of(begin, end);
      // Each batch of an update draws (dropout) what its samples would in one batch of the update's samples.
      if (accumulator) draws = model_.counters();
      double loss = 0.0, weight = 1.0;
      bool has_samples = false, accumulated = false, some_rank_idle = false;
      for (std::int64_t batch = first_batch; batch < end_batch; ++batch) {
        const std::int64_t batch_begin = batch * bs, batch_end = std::min(used, batch_begin + bs);
        // This rank's share of the global batch; all of it in one process.
        const Shard shard = shard_of(batch_end - batch_begin, rank(), ranks());
        some_rank_idle = some_rank_idle || batch_end - batch_begin < ranks();
        const std::int64_t first = batch_begin + shard.begin;
        gather_batch(train, order, first, first + shard.size());
        if (options.augmentation) visit_batch([&](auto* values) { augment(options, epoch, values, shard.size(), first, train.sample_shape); });
        if (mixup) mix_batch(train, order, first, shard.size(), *mixup, options, epoch);
        if (shard.size() > 0) upload_batch(train.sample_shape);
        if (shard.size() > 0 && !sample_weights_.empty()) upload_loss_weights(order, first, shard.size());
        if (batch > first_batch) model_.set_counters(draws);
        model_.set_sample_offset(first - begin);
        // This rank's samples' share of the update's mean loss, by which its loss gradient and activity
        // penalties are weighed.
        weight = share(units_of(first, first + shard.size()), update_units);
        model_.set_batch_share(weight);
        has_samples = shard.size() > 0;
        // Two parts, each free of reads so that a device backend can replay it as one launch: the loss is read
        // between them, so that a non-finite loss stops training before the step that it would spoil.
        const BatchScores scores = score_global_batch(true, shard.size(), "train forward");
        if (!std::isfinite(scores.loss)) {
          const std::string where = has_samples ? model_.first_non_finite(x_) : "";
          throw Error(fmt::format("epoch {}, batch {}: the loss is {}{}; lower the learning rate or check the data", epoch, batch + 1,
                                  unsigned_nan(scores.loss), where.empty() ? "" : fmt::format(" (the first non-finite value: {})", where)));
        }
        loss += scores.loss * share(scores.units, update_units);
        score_sum += scores.score_sum, score_units += scores.units;
        if (batch + 1 == end_batch) break;  // the update's last batch goes backward in update()
        if (model_.has_penalties()) loss += batch_penalty(has_samples, false);
        if (!has_samples) continue;
        model_.backend().run_step(accumulated ? "train accumulate" : "train accumulate, first", [&] {
          backward(weight);
          accumulator->add(!accumulated);
        });
        accumulated = true;
      }
      double lr = base_lr_;
      if (options.schedule) {
        lr = options.schedule->learning_rate(base_lr_, epoch - 1, global_step);
        if (!(lr >= 0.0) || !std::isfinite(lr))
          throw Error(fmt::format("schedule {} gives learning rate {} at epoch {}, step {}", options.schedule->type(), lr, epoch, global_step + 1));
      }
      for (const auto& c : callbacks) lr = c->adjust_learning_rate(lr);
      if (lr != optimizer_->learning_rate()) optimizer_->set_learning_rate(lr);
      if (const auto momentum = options.schedule ? options.schedule->momentum(epoch - 1, global_step) : std::nullopt;
          momentum && !optimizer_->set_momentum(*momentum))
        throw Error(fmt::format("schedule {} cycles the momentum, which optimizer {} does not have: give it a momentum (SGD, RMSprop) "
                                "or set the schedule's cycle_momentum to false",
                                options.schedule->type(), optimizer_->type()));
      update(options, parameters, global_step, weight, has_samples, accumulated ? accumulator.get() : nullptr);
      // The last rank has samples in every batch (shard_of), so its counters are those of one process.
      if (some_rank_idle) take_counters_of(*communicator_, model_, ranks() - 1);
      // "a penalty is added to the mean loss of the batch"; activity penalties are of each rank's own samples.
      if (model_.has_penalties()) loss += batch_penalty(has_samples, true);
      ++global_step;
      if (reducer_ && global_step == first_step + 1)
        require_same_on_every_rank(*communicator_, "the weights after the first step", fmt::format("{}", weights_fingerprint(model_)),
                                   "a plugin computes or draws differently in each process");
      loss_sum += loss * update_units, loss_units += update_units;
      bar.update(b + 1, share(loss_sum, loss_units), share(score_sum, score_units), score_name(score_kind_));
      const BatchRecord step{epoch, b + 1, global_step, loss, optimizer_->learning_rate(), updates, options.epochs};
      for (const auto& c : callbacks) stopped = !c->on_batch_end(step, model_) || stopped;
    }
    bar.finish();
    if (stopped) break;
    // Every batch's loss was finite, yet a NaN may have reached the weights: a ReLU fused into a product's output
    // pass (oneDNN's) makes it 0 on the way forward, not in the weight gradient. Checked once an epoch, before
    // validation, the history and checkpoints see the weights.
    if (const std::string where = model_.first_non_finite_parameter(); !where.empty())
      throw Error(fmt::format("epoch {}: {} holds a NaN or an infinity, though the loss of every batch was finite; lower the learning "
                              "rate or check the data", epoch, where));
    EpochRecord record;
    record.epoch = epoch;
    record.train = {share(loss_sum, loss_units), share(score_sum, score_units), score_kind_};
    record.learning_rate = optimizer_->learning_rate();
    if (validation && validation->size() > 0) {
      record.validation = evaluate(*validation, bs);
      score_kind_ = record.train.kind;
      record.has_validation = true;
      // Finite weights can still overflow on other samples; a NaN would then reach the history, early stopping's
      // and a checkpoint's comparisons, and a search's ranking.
      if (!std::isfinite(record.validation.loss))
        throw Error(fmt::format("epoch {}: the validation loss is {} though the weights are finite: the model's outputs overflow on "
                                "validation samples; lower the learning rate or check the data", epoch, unsigned_nan(record.validation.loss)));
    }
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history.push_back(record);
    if (on_epoch) on_epoch(record);
    bool go_on = true;
    for (const auto& c : callbacks) go_on = c->on_epoch_end(record, model_) && go_on;
    for (const auto& c : callbacks) c->after_epoch(record, model_);
    if (!go_on) break;
  }
  for (const auto& c : callbacks) c->on_train_end(model_);
  if (std::ranges::any_of(callbacks, [](const auto& c) { return c->needs_statistics_recomputed(); }))
    recompute_statistics(train, bs, options.drop_last);
  model_.set_sample_offset(0);
  model_.set_batch_share(1.0);
  return history;
}

Scores Trainer::evaluate(const Dataset& data, std::int64_t batch_size) {
  if (batch_size <= 0) throw InvalidArgument(fmt::format("batch_size must be a positive integer, got {}", batch_size));
  if (data.size() == 0) throw InvalidArgument("cannot evaluate on an empty data set");
  if (!loss_fn_) throw Error("evaluating needs a loss: this Trainer was made without one");
  check_targets(*loss_fn_, model_.output_shape(), data);
  score_kind_ = score_kind(*loss_fn_, model_.output_shape(), data);
  model_.set_training(false);
  std::vector<std::int64_t> order(static_cast<std::size_t>(data.size()));
  std::iota(order.begin(), order.end(), 0);
  // Weighed by what each batch scores: its samples, or its scored steps (per-step labels), so that the loss is the mean
  // over the set's steps as PyTorch's CrossEntropyLoss over all of them would give it.
  double loss_sum = 0.0, score_sum = 0.0, units = 0.0;
  for (std::int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const std::int64_t end = std::min(data.size(), begin + batch_size);
    const Shard shard = shard_of(end - begin, rank(), ranks());
    if (shard.size() == 0) continue;
    load_batch(data, order, begin + shard.begin, begin + shard.end);
    model_.backend().run_step("evaluate", [&] { score_batch(false); });
    const BatchScores batch = read_batch_scores();
    score_sum += batch.score_sum;
    loss_sum += batch.loss * batch.units;
    units += batch.units;
  }
  if (reducer_) {
    const auto sums = sum_over_ranks(*communicator_, {loss_sum, score_sum, units});
    loss_sum = sums[0], score_sum = sums[1], units = sums[2];
  }
  return {share(loss_sum, units), share(score_sum, units), score_kind_};
}

std::vector<float> Trainer::predict(const Dataset& data, std::int64_t batch_size) {
  if (batch_size <= 0) throw InvalidArgument(fmt::format("batch_size must be a positive integer, got {}", batch_size));
  model_.set_training(false);
  std::vector<std::int64_t> order(static_cast<std::size_t>(data.size()));
  std::iota(order.begin(), order.end(), 0);
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(data.size() * model_.output_shape().numel()));
  for (std::int64_t begin = 0; begin < data.size(); begin += batch_size) {
    load_batch(data, order, begin, std::min(data.size(), begin + batch_size));
    const Tensor* y = nullptr;
    model_.backend().run_step("predict", [&] { y = &model_.forward(x_); });
    const auto values = to_host<float>(*y);
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

}  // namespace nnplug
