#include "nnplug/framework/network.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/precision.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/value_evaluation.hpp"

namespace nnplug {

namespace {

// C++ callables as a Keras-style callback, after each epoch or each step.
class FunctionCallback final : public Callback {
 public:
  FunctionCallback(std::function<bool(const EpochRecord&)> epoch, std::function<bool(const BatchRecord&)> batch)
      : epoch_(std::move(epoch)), batch_(std::move(batch)) {}
  bool on_epoch_end(const EpochRecord& record, Model&) override { return !epoch_ || epoch_(record); }
  bool on_batch_end(const BatchRecord& record, Model&) override { return !batch_ || batch_(record); }

 private:
  std::function<bool(const EpochRecord&)> epoch_;
  std::function<bool(const BatchRecord&)> batch_;
};

// A Dataset is a struct a program fills: its parts must agree on the number of samples (its labels'), or the
// network would read past its values, and its labels on its classes. The files nnplug reads make them agree.
void refuse_inconsistent_parts(const Dataset& data, const char* call) {
  const auto samples = static_cast<std::size_t>(data.size()), features = static_cast<std::size_t>(data.features());
  const auto refuse = [&](const std::string& what) {
    throw InvalidArgument(fmt::format("{}: the data set has {} samples (one label each, -1 where there is none), but {}", call, samples, what));
  };
  if (features != 0 && data.x.size() != samples * features)
    refuse(fmt::format("x holds {} values, where samples of shape {} take {}", data.x.size(), data.sample_shape.str(), samples * features));
  if (const auto targets = samples * static_cast<std::size_t>(std::max<std::int64_t>(data.target_width, 0)); data.targets.size() != targets)
    refuse(fmt::format("targets holds {} values, where a target_width of {} takes {}", data.targets.size(), data.target_width, targets));
  if (!data.sample_names.empty() && data.sample_names.size() != samples) refuse(fmt::format("{} sample names", data.sample_names.size()));
  if (!data.rows.empty() && data.rows.size() != samples) refuse(fmt::format("{} rows", data.rows.size()));
  const auto outside = std::find_if(data.labels.begin(), data.labels.end(), [&](std::int32_t label) {
    return label < -1 || (data.num_classes > 0 && label >= data.num_classes);
  });
  if (outside != data.labels.end())
    throw InvalidArgument(fmt::format("{}: sample {} has label {}, outside the data set's {} classes (num_classes; -1 for none)", call,
                                      outside - data.labels.begin(), *outside, data.num_classes));
}

// Parts that disagree (above), then a NaN or an infinity among the values (a NaN is a missing value where the
// preprocessing fills them: missing_filled). The files nnplug reads refuse such values as they read them
// (csv_reader.cpp); arrays come here unread. A NaN does not always reach the loss to stop training: a ReLU fused into
// a product's output pass (oneDNN's) makes it 0, while the weight gradient takes it into every weight of the first
// layer.
void refuse_bad_data(const Dataset& data, const char* call, bool missing_filled = false) {
  refuse_inconsistent_parts(data, call);
  if (const auto i = data.x.first_non_finite(missing_filled)) {
    const auto features = static_cast<std::size_t>(data.features());
    throw InvalidArgument(fmt::format("{}: sample {} holds {} (value {} of {}): the network takes finite values only; replace or drop such "
                                      "samples", call, *i / features, data.x[*i], *i % features, features));
  }
}

// Where `json` holds a number that is NaN or infinite ("optimizer.betas[0]"), or "" where none. A builder takes any
// double, but JSON has neither: saved with a model, the spec would write null there, and the model would not load.
std::string non_finite_number_at(const Params::Json& json, const std::string& path) {
  if (json.is_number_float()) return std::isfinite(json.get<double>()) ? "" : path;
  if (!json.is_structured()) return "";
  const bool object = json.is_object();
  std::size_t i = 0;
  for (const auto& [key, value] : json.items()) {
    const std::string at = object ? (path.empty() ? key : fmt::format("{}.{}", path, key)) : fmt::format("{}[{}]", path, i++);
    if (std::string found = non_finite_number_at(value, at); !found.empty()) return found;
  }
  return "";
}

void refuse_non_finite_numbers(const Spec& spec) {
  if (const std::string at = non_finite_number_at(spec.json, ""); !at.empty())
    throw InvalidArgument(fmt::format("{}: {} is not a finite number (nan or inf): a spec takes finite numbers only", spec.where(), at));
}

// The spec of a network built from layers: "layers", and "blocks" where they use any.
Params::Json spec_of(const nn::Sequential& layers) {
  Params::Json spec{{"layers", layers.json()}};
  if (!layers.blocks().empty()) spec["blocks"] = layers.blocks();
  return spec;
}

}  // namespace

const Registry& load_plugins(const std::vector<std::filesystem::path>& folders) {
  static bool loading = false;  // a second call with folders would silently not load them
  if (loading && !folders.empty())
    throw Error("plugins are loaded once per process, and they are loaded already: call load_plugins(folders) before anything else");
  loading = true;
  static const Registry* registry = [&] {
    auto* loaded = new Registry;  // never destroyed: plugin code must stay loaded while objects it made live
    PluginLoader loader;
    for (const auto& folder : folders) loader.add_directory(folder);
    for (const auto& c : loader.load_all(*loaded))
      if (c.verdict == Verdict::Rejected) fmt::print(stderr, "warning: {}: not loaded: {}\n", c.path.string(), c.reason);
    for (const auto& warning : loader.warnings()) fmt::print(stderr, "warning: {}\n", warning);
    return loaded;
  }();
  return *registry;
}

// The layers are made and dropped here, as Keras makes them when the model is written: a mistake in them is
// found now rather than at the first fit().
Network::Network(Spec spec, const Registry& registry) : spec_(std::move(spec)), registry_(&registry) {
  refuse_non_finite_numbers(spec_);
  read_compile_sections();
  check_layers(spec_, *registry_);
}

Network::Network(const nn::Sequential& layers, const Registry& registry)
    : Network(Spec{std::filesystem::current_path() / "network.json", spec_of(layers), "the network's spec"}, registry) {}

Network Network::from_spec(const Spec& spec, const Registry& registry) { return Network(spec, registry); }

Network Network::from_file(const std::filesystem::path& spec_file, const Registry& registry) { return Network(load_spec(spec_file), registry); }

Network Network::load(const std::filesystem::path& model_file, const Registry& registry) {
  LoadedModel loaded = load_model(model_file, registry);
  Network network(std::move(loaded.spec), registry);
  network.backend_ = loaded.model->backend_ptr();
  network.model_ = std::move(loaded.model);
  return network;
}

void Network::read_compile_sections() {
  const Params top(spec_.where(), spec_.json);
  dtype_ = spec_dtype(top);
  seed_ = static_cast<std::uint64_t>(top.integer("seed", 0, 0));
  std::string precision = spec_precision(top);
  backend_ = create_backend_in_precision(*registry_, spec_.section("backend", registry_->best_backend()), precision);
  if (spec_.json.contains("loss")) loss_ = registry_->create_loss(spec_.section("loss"));
  if (spec_.json.contains("optimizer")) optimizer_ = registry_->create_optimizer(spec_.section("optimizer"));
}

Network& Network::compile(const nn::Component& optimizer, const nn::Component& loss, const CompileArgs& args) {
  if (model_ && (args.dtype != dtype_ || !args.backend.empty()))
    throw Error(fmt::format("the network is built already, in {} on backend {}: call compile() with another dtype or backend before "
                            "build() or fit()", dtype_name(dtype_), backend_->name()));
  Spec spec = spec_;
  spec.json["optimizer"] = optimizer.json();
  spec.json["loss"] = loss.json();
  spec.json["dtype"] = dtype_name(args.dtype);
  spec.json["seed"] = args.seed;
  if (!args.backend.empty()) spec.json["backend"] = backend_option(args.backend).json();
  if (args.schedule) {
    spec.json["schedule"] = args.schedule->json();
    (void)registry_->create_schedule(spec.section("schedule"));
  }
  if (!args.gradient_transforms.empty()) {
    spec.json["gradient_transforms"] = Params::Json::array();
    for (const auto& t : args.gradient_transforms) {
      spec.json["gradient_transforms"].push_back(t.json());
      (void)registry_->create_gradient_transform(Params(spec.where() + ": gradient_transforms", t.json()));
    }
  }
  Network checked(spec, *registry_);  // every part made now, so that a mistake is found here
  spec_ = std::move(spec);
  loss_ = checked.loss_, optimizer_ = checked.optimizer_, dtype_ = checked.dtype_, seed_ = checked.seed_;
  if (!model_) backend_ = checked.backend_;  // a built model keeps its backend
  trainer_.reset();  // the new optimizer is attached to the parameters when training starts
  return *this;
}

Network& Network::build(const Shape& sample_shape) {
  if (model_) {
    if (sample_shape == model_->input_shape()) return *this;
    throw ShapeError(fmt::format("the network is built already for samples of shape {}, not {}", model_->input_shape().str(), sample_shape.str()));
  }
  model_ = build_model(spec_, *registry_, backend_, dtype_, sample_shape, seed_);
  initialize_from_spec(spec_, *model_);
  return *this;
}

// The first fit() builds the network (unless build() did). Preprocessing that the spec's data section names is
// fitted on its samples, as `nnplug train` fits it on its training set, and kept with the model for every later
// call. Returns the samples as the model takes them (as as_input does), preprocessed once.
const Dataset& Network::build_for(const Dataset& train, Dataset& converted) {
  const Params data = spec_.section("data");
  if (!names_preprocessing(data) || (model_ && !model_->input_preprocessing().empty())) {
    if (!model_) build(train.sample_shape);
    return as_input(train, converted, "fit");
  }
  refuse_bad_data(train, "fit", data.has("fill_missing"));
  converted = train;  // a copy only here: the steps are fitted on what they change
  converted.convert(dtype_);
  InputPreprocessing preprocessing = fit_input_preprocessing(data, converted);
  build(converted.sample_shape);  // the shape build() was given, when it came first
  model_->set_input_preprocessing(std::move(preprocessing));
  return converted;
}

Model& Network::model() const {
  if (!model_) throw Error("the network is not built yet: call fit(), or build(sample_shape) first");
  return *model_;
}

Trainer& Network::trainer() {
  if (!trainer_) trainer_ = std::make_unique<Trainer>(model(), loss_, optimizer_);
  return *trainer_;
}

const Dataset& Network::as_input(const Dataset& data, Dataset& converted, const char* call) const {
  refuse_bad_data(data, call, model().input_preprocessing().fills_missing());
  if (!model().input_preprocessing().empty()) return preprocessed(data, converted, call);
  if (!(data.sample_shape == model().input_shape()))
    throw ShapeError(fmt::format("{}: samples of shape {}, the network is built for {}{}", call, data.sample_shape.str(), model().input_shape().str(),
                                 data.features() == model().input_shape().numel() ? " (as many values: reshape the samples to it)" : ""));
  if (data.x.dtype() == dtype_) return data;
  converted = data;
  converted.convert(dtype_);
  return converted;
}

// A loaded model whose training data was standardized or projected takes samples as they were before that (as its
// spec's data files hold them), and brings them to its input the same way: the statistics fitted then, in its
// dtype, then its sample shape.
const Dataset& Network::preprocessed(const Dataset& data, Dataset& converted, const char* call) const {
  converted = data;
  converted.convert(dtype_);
  try {
    model().input_preprocessing().apply(converted);
  } catch (const ShapeError& e) {
    throw ShapeError(fmt::format("{}: samples of shape {} do not fit the preprocessing the model was trained with: {}", call,
                                 data.sample_shape.str(), e.what()));
  }
  if (converted.features() != model().input_shape().numel())
    throw ShapeError(fmt::format("{}: samples of shape {} become {} values in preprocessing, the network is built for {}", call,
                                 data.sample_shape.str(), converted.features(), model().input_shape().str()));
  converted.sample_shape = model().input_shape();
  return converted;
}

std::vector<EpochRecord> Network::fit(const Dataset& train, const FitArgs& args) {
  if (!loss_ || !optimizer_) throw Error("fit() needs a loss and an optimizer: call compile(optimizer, loss) first");
  Dataset converted, converted_validation;
  const Dataset& data = build_for(train, converted);
  // The spec's data.standardize_targets is fitted on the first fit's targets and kept, as the preprocessing is.
  if (model().target_scaling().empty()) model().set_target_scaling(fit_target_scaling(spec_.section("data"), data, *loss_, model().output_shape()));
  const Dataset* validation = args.validation ? &as_input(*args.validation, converted_validation, "fit (validation data)") : nullptr;
  Spec spec = spec_;
  for (const auto& c : args.builtin_callbacks) spec.json["callbacks"].push_back(c.json());
  if (args.sampler) spec.json["training"]["sampler"] = *args.sampler;
  if (args.augmentation) spec.json["augmentation"] = *args.augmentation;
  refuse_non_finite_numbers(spec);  // what fit's arguments added
  FitOptions options = fit_options_from_spec(spec, *registry_, optimizer_, data.sample_shape);
  for (const auto& c : options.callbacks) c->check(validation != nullptr);
  options.epochs = args.epochs.value_or(options.epochs);
  options.initial_epoch = args.initial_epoch.value_or(options.initial_epoch);
  options.batch_size = args.batch_size.value_or(options.batch_size);
  options.shuffle = args.shuffle.value_or(options.shuffle);
  options.gradient_accumulation_steps = args.gradient_accumulation_steps.value_or(options.gradient_accumulation_steps);
  options.mixup_alpha = args.mixup_alpha.value_or(options.mixup_alpha);
  options.cutmix_alpha = args.cutmix_alpha.value_or(options.cutmix_alpha);
  if (!args.loss_weighting.empty()) {  // the spec's own class_weight was held against its loss by fit_options_from_spec
    options.loss_weighting = args.loss_weighting;
    refuse_weighing_classes_twice(options.loss_weighting, spec.json.value("loss", Params::Json()));
  }
  options.seed = seed_;
  options.progress = args.progress;
  for (const auto& f : args.callbacks) options.callbacks.push_back(std::make_shared<FunctionCallback>(f, nullptr));
  for (const auto& f : args.batch_callbacks) options.callbacks.push_back(std::make_shared<FunctionCallback>(nullptr, f));
  if (!trainer_)  // once per model and loss, not at every fit
    for (const std::string& warning : model_warnings(model(), *loss_)) fmt::print(stderr, "warning: {}\n", warning);
  return trainer().fit(data, validation, options);
}

Scores Network::evaluate(const Dataset& data, std::int64_t batch_size) {
  if (!loss_) throw Error("evaluate() needs a loss: call compile(optimizer, loss) first");
  Dataset converted;
  return trainer().evaluate(as_input(data, converted, "evaluate"), batch_size);
}

Predictions Network::predict(const Dataset& data, bool logits, std::int64_t batch_size) {
  if (!logits && !loss_)
    throw Error("predict() gives probabilities through the loss' output link: call compile(optimizer, loss) first, or ask for logits");
  const Shape& output = model().output_shape();
  const auto [width, steps] = loss_ ? scored_rows(*loss_, model(), data) : ScoredRows{output.numel(), 0};
  Dataset converted;
  Predictions out{trainer().predict(as_input(data, converted, "predict"), batch_size), data.size() * std::max<std::int64_t>(steps, 1), width};
  if (logits) return out;
  // Under an identity link (mse, mae, huber: a regression) the outputs are the predictions themselves, in the
  // targets' units.
  if (loss_->output_link() == OutputLink::Identity) {
    out.values = link_values(std::move(out.values), OutputLink::Identity, model().target_scaling());
    return out;
  }
  out.columns = classes_of_outputs(width);
  out.values = class_probabilities(out.values, width, loss_->output_link());
  return out;
}

void Network::update_bn(const Dataset& data, std::int64_t batch_size) {
  Dataset converted;
  trainer().recompute_statistics(as_input(data, converted, "update_bn"), batch_size);
}

std::vector<std::int32_t> Network::predict_classes(const Dataset& data, std::int64_t batch_size) {
  // One output's label of 0 or 1 under a sigmoid (or a margin's sign) is a class; a regression's values, or several
  // such labels, are not.
  const bool binary = model().output_shape().numel() == 1 && loss_ && loss_->output_link() != OutputLink::Identity;
  if (model().trained_on_values() && !binary)
    throw InvalidArgument("predict_classes: the model was trained on value targets (a regression, or several labels of 0 or 1), which are "
                          "not classes; predict gives its values (a multi-label loss's: each label's probability)");
  const Predictions p = predict(data, false, batch_size);
  std::vector<std::int32_t> classes(static_cast<std::size_t>(p.rows));
  // One output under an identity link was trained on the label itself (0 or 1): class 1 above one half.
  if (p.columns == 1) {
    for (std::int64_t r = 0; r < p.rows; ++r) classes[static_cast<std::size_t>(r)] = p.values[static_cast<std::size_t>(r)] > 0.5f;
    return classes;
  }
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const auto row = p.values.begin() + r * p.columns;
    classes[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(std::max_element(row, row + p.columns) - row);
  }
  return classes;
}

void Network::save(const std::filesystem::path& path) const { save_model(path, spec_, model(), *registry_); }

}  // namespace nnplug
