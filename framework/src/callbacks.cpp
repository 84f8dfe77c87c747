#include "nnplug/framework/callbacks.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include <fmt/args.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/framework/atomic_file.hpp"
#include "nnplug/framework/familiar_names.hpp"
#include "nnplug/framework/lookahead.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/parameter_copies.hpp"
#include "nnplug/framework/scores_json.hpp"
#include "nnplug/framework/stochastic_weight_average.hpp"
#include "nnplug/framework/trainer.hpp"
#include "nnplug/framework/training_monitor.hpp"

namespace nnplug {

namespace {

// Losses and errors fall as a model improves; accuracy rises.
bool minimizes(const std::string& monitor) { return !monitor.ends_with("accuracy"); }

// What a monitor follows, without the validation set's "val_": "loss", "accuracy" or "mae".
std::string quantity(const std::string& monitor) { return monitor.starts_with("val_") ? monitor.substr(4) : monitor; }

bool improves(double value, double best, double min_delta, bool minimize) {
  return minimize ? value < best - min_delta : value > best + min_delta;
}

void check_monitor(const std::string& monitor, const std::string& owner) {
  const std::string name = quantity(monitor);
  if (name != "loss" && name != score_name(ScoreKind::Accuracy) && name != score_name(ScoreKind::MeanAbsoluteError))
    throw InvalidArgument(fmt::format("{}: monitor must be \"loss\", \"accuracy\" or \"mae\" (value targets), with \"val_\" before it for the "
                                      "validation set's, got \"{}\"", owner, monitor));
}

// Where a run gets validation data: a spec, or the arguments of a program's fit().
constexpr const char* kGiveValidation = "set data.validation_split in a spec, or give fit() validation data or a validation split";

void check_validation(const std::string& owner, const std::string& monitor, bool has_validation) {
  if (monitor.starts_with("val_") && !has_validation)
    throw InvalidArgument(fmt::format("{} monitors {} but this run has no validation set ({})", owner, monitor, kGiveValidation));
}

// A checkpoint's file for an epoch: its path with Keras's ModelCheckpoint fields filled in, {epoch}, {loss},
// {accuracy} (or {mae}) and, with a validation set, {val_loss} and {val_accuracy} (or {val_mae}), each with a
// format as Python's ({epoch:02d}, {val_loss:.2f}), which fmt reads alike. `both_scores` names accuracy and mae
// alike, for a check before training knows which one the run scores.
std::string checkpoint_file(const std::string& path, const EpochRecord& r, bool both_scores = false) {
  const bool accuracy = r.train.kind == ScoreKind::Accuracy;
  fmt::dynamic_format_arg_store<fmt::format_context> fields;
  std::vector<const char*> names;  // string literals: the store keeps pointers to them
  const auto field = [&](const char* name, auto value) { fields.push_back(fmt::arg(name, value)), names.push_back(name); };
  field("epoch", r.epoch);
  field("loss", r.train.loss);
  if (accuracy || both_scores) field("accuracy", r.train.score);
  if (!accuracy || both_scores) field("mae", r.train.score);
  if (r.has_validation) {
    field("val_loss", r.validation.loss);
    if (accuracy || both_scores) field("val_accuracy", r.validation.score);
    if (!accuracy || both_scores) field("val_mae", r.validation.score);
  }
  try {
    return fmt::vformat(path, fields);
  } catch (const fmt::format_error& e) {
    throw InvalidArgument(fmt::format("checkpoint: path {}: {}: it may name {{{}}} with a format as Python's ({{epoch:02d}}, {{val_loss:.2f}}), "
                                      "and a brace itself is written twice",
                                      path, e.what(), fmt::join(names, "}, {")));
  }
}

}  // namespace

double monitored_value(const EpochRecord& r, const std::string& monitor) {
  if (monitor.starts_with("val_") && !r.has_validation)
    throw InvalidArgument(fmt::format("cannot monitor {}: this run has no validation set ({})", monitor, kGiveValidation));
  const Scores& scores = monitor.starts_with("val_") ? r.validation : r.train;
  const std::string name = quantity(monitor);
  if (name == "loss") return scores.loss;
  if (name == score_name(scores.kind)) return scores.score;
  throw InvalidArgument(fmt::format("cannot monitor {}: this run scores {} beside the loss{}", monitor, score_name(scores.kind),
                                    scores.kind == ScoreKind::Accuracy ? "" : " (its targets are values, not class labels)"));
}

EarlyStopping::EarlyStopping(std::string monitor, double min_delta, int patience, bool restore_best)
    : monitor_(std::move(monitor)), min_delta_(min_delta), patience_(patience), restore_best_(restore_best), minimize_(minimizes(monitor_)) {
  check_monitor(monitor_, "early_stopping");
}

void EarlyStopping::check(bool has_validation) const { check_validation("early_stopping", monitor_, has_validation); }

bool EarlyStopping::on_epoch_end(const EpochRecord& record, Model& model) {
  const double value = monitored_value(record, monitor_);
  if (best_epoch_ == 0 || improves(value, best_, min_delta_, minimize_)) {
    best_ = value;
    best_epoch_ = record.epoch;
    wait_ = 0;
    if (restore_best_) {
      best_weights_.clear();
      for (Parameter* p : model.parameters(false)) best_weights_.push_back(to_host<double>(p->value));
    }
    return true;
  }
  return ++wait_ < patience_;
}

std::string EarlyStopping::state_kind() const { return "early_stopping"; }

CallbackState EarlyStopping::state() const {
  return {state_kind(), {{"best", finite_or_null(best_)}, {"best_epoch", best_epoch_}, {"wait", wait_}}, best_weights_};
}

void EarlyStopping::restore_state(const CallbackState& state, Model& model) {
  best_ = number_or(state.values.at("best"), 0.0);
  best_epoch_ = state.values.at("best_epoch").get<int>();
  wait_ = state.values.at("wait").get<int>();
  if (!state.weights.empty()) check_kept_weights(state.weights, model.parameters(false));
  best_weights_ = state.weights;
}

void EarlyStopping::on_train_end(Model& model) {
  if (!restore_best_ || best_weights_.empty()) return;
  const auto params = model.parameters(false);
  for (std::size_t i = 0; i < params.size(); ++i) from_host(params[i]->value, best_weights_[i]);
}

ModelCheckpoint::ModelCheckpoint(std::filesystem::path path, const Spec& spec, const Registry& registry, bool best_only, std::string monitor,
                                 std::shared_ptr<Optimizer> optimizer)
    : path_(std::move(path)), spec_(spec), registry_(registry), best_only_(best_only), monitor_(std::move(monitor)), optimizer_(std::move(optimizer)) {
  check_monitor(monitor_, "checkpoint");
}

void ModelCheckpoint::check(bool has_validation) const {
  if (best_only_) check_validation("checkpoint", monitor_, has_validation);
  EpochRecord any;
  any.has_validation = has_validation;
  (void)checkpoint_file(path_.string(), any, true);  // the fields it names exist, before a whole epoch is trained
}

void ModelCheckpoint::on_train_begin(Model&, const Dataset&) { require_writable_destination(path_, "the checkpoint"); }

void ModelCheckpoint::keep_states_of(const std::vector<std::shared_ptr<Callback>>& callbacks) {
  kept_.assign(callbacks.begin(), callbacks.end());
}

std::string ModelCheckpoint::state_kind() const { return "checkpoint"; }

CallbackState ModelCheckpoint::state() const { return {state_kind(), {{"have_best", have_best_}, {"best", best_}}, {}}; }

void ModelCheckpoint::restore_state(const CallbackState& state, Model&) {
  have_best_ = state.values.at("have_best").get<bool>();
  best_ = state.values.at("best").get<double>();
}

void ModelCheckpoint::after_epoch(const EpochRecord& record, Model& model) {
  if (best_only_) {
    const double value = monitored_value(record, monitor_);
    if (have_best_ && !improves(value, best_, 0.0, minimizes(monitor_))) return;
    have_best_ = true;
    best_ = value;
  }
  const std::string path = checkpoint_file(path_.string(), record);
  TrainingState state{optimizer_.get(), record.epoch, {}};
  for (const auto& weak : kept_)
    if (const auto callback = weak.lock(); callback && !callback->state_kind().empty()) state.callbacks.push_back(callback->state());
  save_model(path, spec_, model, registry_, optimizer_ ? &state : nullptr);
}

ReduceLrOnPlateau::ReduceLrOnPlateau(Settings settings)
    : settings_(std::move(settings)), minimize_(minimizes(settings_.monitor)),
      best_(minimize_ ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity()) {
  check_monitor(settings_.monitor, "reduce_lr_on_plateau");
}

void ReduceLrOnPlateau::check(bool has_validation) const { check_validation("reduce_lr_on_plateau", settings_.monitor, has_validation); }

bool ReduceLrOnPlateau::improves(double value) const {
  const double t = settings_.threshold;
  if (settings_.relative_threshold) return minimize_ ? value < best_ * (1.0 - t) : value > best_ * (1.0 + t);
  return minimize_ ? value < best_ - t : value > best_ + t;
}

bool ReduceLrOnPlateau::on_epoch_end(const EpochRecord& record, Model& model) {
  (void)model;
  const double value = monitored_value(record, settings_.monitor);
  if (settings_.keras_rules) {
    // Keras's order: a cooldown epoch is counted off first and is no bad epoch, though the one that ends it may be;
    // the rate falls once `patience` epochs in a row are bad, where it is still above min_lr.
    if (cooldown_left_ > 0) --cooldown_left_, bad_epochs_ = 0;
    if (improves(value)) best_ = value, bad_epochs_ = 0;
    else if (cooldown_left_ == 0 && ++bad_epochs_ >= settings_.patience && record.learning_rate > settings_.min_lr) lower(record.learning_rate);
    return true;
  }
  if (improves(value)) {
    best_ = value;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_left_ > 0) --cooldown_left_, bad_epochs_ = 0;
  if (bad_epochs_ > settings_.patience) lower(record.learning_rate);
  return true;
}

void ReduceLrOnPlateau::lower(double lr) {
  // The epoch's rate times the factor, not below min_lr; as PyTorch, only a change larger than 1e-8.
  const double lowered = std::max(lr * settings_.factor, settings_.min_lr);
  if (settings_.keras_rules || lr - lowered > 1e-8) scale_ *= lowered / lr;
  cooldown_left_ = settings_.cooldown;
  bad_epochs_ = 0;
}

std::string ReduceLrOnPlateau::state_kind() const { return "reduce_lr_on_plateau"; }

CallbackState ReduceLrOnPlateau::state() const {
  return {state_kind(),
          {{"best", finite_or_null(best_)}, {"scale", scale_}, {"bad_epochs", bad_epochs_}, {"cooldown_left", cooldown_left_}},
          {}};
}

void ReduceLrOnPlateau::restore_state(const CallbackState& state, Model&) {
  best_ = number_or(state.values.at("best"), best_);
  scale_ = state.values.at("scale").get<double>();
  if (!(scale_ > 0.0 && scale_ <= 1.0)) throw InvalidArgument(fmt::format("scale {} is not in (0, 1]", scale_));
  bad_epochs_ = state.values.at("bad_epochs").get<int>();
  cooldown_left_ = state.values.at("cooldown_left").get<int>();
}

double ReduceLrOnPlateau::adjust_learning_rate(double lr) const {
  return scale_ == 1.0 ? lr : std::max(lr * scale_, std::min(settings_.min_lr, lr));
}

HistoryWriter::HistoryWriter(std::filesystem::path path) : path_(std::move(path)) {}

void HistoryWriter::on_train_begin(Model&, const Dataset&) { require_writable_destination(path_, "the history"); }

bool HistoryWriter::on_epoch_end(const EpochRecord& r, Model&) {
  const bool jsonl = path_.extension() == ".jsonl";
  const char* score = score_name(r.train.kind);
  std::string line;
  if (jsonl) {
    Params::Json j = {{"epoch", r.epoch}, {"loss", r.train.loss}, {score, r.train.score}, {"lr", r.learning_rate}, {"seconds", r.seconds}};
    if (r.has_validation) j["val_loss"] = r.validation.loss, j[fmt::format("val_{}", score)] = r.validation.score;
    line = j.dump();
  } else {
    if (lines_.empty()) lines_.push_back(fmt::format("epoch,loss,{0},val_loss,val_{0},lr,seconds", score));
    // Empty validation columns when there is none.
    const std::string validation = r.has_validation ? fmt::format("{:.8g},{:.8g}", r.validation.loss, r.validation.score) : ",";
    line = fmt::format("{},{:.8g},{:.8g},{},{:.8g},{:.8g}", r.epoch, r.train.loss, r.train.score, validation, r.learning_rate, r.seconds);
  }
  lines_.push_back(std::move(line));
  write_atomically(path_, [&](std::ostream& out) {
    for (const auto& l : lines_) out << l << '\n';
  }, "the history");
  return true;
}

std::string HistoryWriter::state_kind() const { return "history"; }

CallbackState HistoryWriter::state() const { return {state_kind(), {{"lines", lines_}}, {}}; }

void HistoryWriter::restore_state(const CallbackState& state, Model&) { lines_ = state.values.at("lines").get<std::vector<std::string>>(); }

WeightAverage::WeightAverage(double decay, bool recompute_statistics) : decay_(decay), recompute_statistics_(recompute_statistics) {
  if (!(decay >= 0.0 && decay < 1.0)) throw InvalidArgument(fmt::format("ema: decay must be in [0, 1), got {}", decay));
}

bool WeightAverage::on_batch_end(const BatchRecord&, Model& model) {
  if (average_.empty()) average_.copy_from(model);
  else average_.blend(model, decay_);
  return true;
}

std::string WeightAverage::state_kind() const { return "ema"; }

CallbackState WeightAverage::state() const { return {state_kind(), nlohmann::json::object(), average_.to_host()}; }

void WeightAverage::restore_state(const CallbackState& state, Model& model) { average_.restore(state.weights, model); }

void WeightAverage::on_train_end(Model& model) { average_.put_into(model); }

namespace {

// One entry of the spec's "callbacks".
std::shared_ptr<Callback> make_callback(const Params& p, const Spec& spec, const Registry& registry, const std::shared_ptr<Optimizer>& optimizer) {
  std::shared_ptr<Callback> callback;
  const std::string type = p.type();
  if (type == "early_stopping") {
    callback = std::make_shared<EarlyStopping>(p.string("monitor", "val_loss"), p.number("min_delta", 0.0, 0.0),
                                               static_cast<int>(p.integer("patience", 5, 1)), p.boolean("restore_best", true));
  } else if (type == "checkpoint") {
    callback = std::make_shared<ModelCheckpoint>(spec.resolve(p.require_string("path")), spec, registry,
                                                 p.boolean("best_only", false), p.string("monitor", "val_loss"), optimizer);
  } else if (type == "history") {
    callback = std::make_shared<HistoryWriter>(spec.resolve(p.require_string("path")));
  } else if (type == "monitor") {
    callback = std::make_shared<TrainingMonitor>(spec.resolve(p.string("path", "monitor.jsonl")), p.integer("samples", 64, 1),
                                                 static_cast<int>(p.integer("bins", 30, 1, 1000)));
  } else if (type == "ema") {
    const double decay = p.number("decay", 0.999, 0.0, 1.0);
    if (decay == 1.0) p.fail("decay", "must be below 1: the average would never move from the first weights");
    callback = std::make_shared<WeightAverage>(decay, p.boolean("update_bn", false));
  } else if (type == "swa") {
    StochasticWeightAverage::Settings s;
    s.start_epoch = static_cast<int>(p.require_integer("start_epoch", 1, 1000000));
    p.accept({"lr"});  // optional, without a default
    if (p.has("lr")) s.lr = p.require_number("lr", 0.0);
    s.anneal_epochs = static_cast<int>(p.integer("anneal_epochs", s.anneal_epochs, 0, 1000000));
    const std::string strategy = p.string("anneal_strategy", "cos");
    if (strategy != "cos" && strategy != "linear") p.fail("anneal_strategy", fmt::format("must be \"cos\" or \"linear\", got \"{}\"", strategy));
    s.cosine_anneal = strategy == "cos";
    s.recompute_statistics = p.boolean("update_bn", true);
    callback = std::make_shared<StochasticWeightAverage>(s);
  } else if (type == "lookahead") {
    const double alpha = p.number("alpha", 0.5, 0.0, 1.0);
    if (alpha == 0.0) p.fail("alpha", "must be above 0: the share of the way the slow weights move");
    callback = std::make_shared<Lookahead>(p.integer("k", 5, 1, 1000000), alpha);
  } else if (type == "reduce_lr_on_plateau") {
    ReduceLrOnPlateau::Settings s;
    s.monitor = p.string("monitor", s.monitor);
    s.factor = p.number("factor", s.factor, 0.0, 1.0);
    if (s.factor == 1.0) p.fail("factor", "must be below 1: the rate is multiplied by it");
    s.patience = static_cast<int>(p.integer("patience", s.patience, 0, 1000000));
    s.threshold = p.number("threshold", s.threshold, 0.0);
    const std::string rules = p.string("rules", "pytorch");
    if (rules != "pytorch" && rules != "keras") p.fail("rules", fmt::format("must be \"pytorch\" or \"keras\", got \"{}\"", rules));
    s.keras_rules = rules == "keras";
    const std::string mode = p.string("threshold_mode", s.keras_rules ? "abs" : "rel");  // Keras's min_delta is absolute
    if (mode != "rel" && mode != "abs") p.fail("threshold_mode", fmt::format("must be \"rel\" or \"abs\", got \"{}\"", mode));
    s.relative_threshold = mode == "rel";
    s.cooldown = static_cast<int>(p.integer("cooldown", s.cooldown, 0, 1000000));
    s.min_lr = p.number("min_lr", s.min_lr, 0.0);
    callback = std::make_shared<ReduceLrOnPlateau>(s);
  } else {
    p.fail("type", fmt::format("must be \"early_stopping\", \"checkpoint\", \"history\", \"monitor\", \"ema\", \"swa\", \"lookahead\" or "
                                "\"reduce_lr_on_plateau\", got \"{}\"", type));
  }
  p.check_unused();
  return callback;
}

}  // namespace

std::vector<std::shared_ptr<Callback>> make_callbacks(const Spec& spec, const Registry& registry, std::shared_ptr<Optimizer> optimizer) {
  std::vector<std::shared_ptr<Callback>> out;
  if (!spec.json.contains("callbacks")) return out;
  const auto& list = spec.json["callbacks"];
  if (!list.is_array()) throw InvalidArgument(fmt::format("{}: \"callbacks\" must be an array", spec.where()));
  for (std::size_t i = 0; i < list.size(); ++i) {
    try {
      out.push_back(make_callback(Params(fmt::format("{}: callbacks[{}]", spec.where(), i), list[i]), spec, registry, optimizer));
    } catch (const InvalidArgument& e) {  // Keras's names pointed to nnplug's
      throw with_familiar_hint(e, list[i]);
    }
  }
  for (const auto& c : out)
    if (const auto checkpoint = std::dynamic_pointer_cast<ModelCheckpoint>(c); checkpoint) checkpoint->keep_states_of(out);
  return out;
}

}  // namespace nnplug
