#include "nnplug/framework/experiment.hpp"

#include "nnplug/framework/activation_layer.hpp"

namespace nnplug {

void load_data(const Spec& spec, Experiment& ex, std::uint64_t seed, std::optional<std::int64_t> limit_train) {
  const Params data = spec.section("data");
  const std::string format = data.require_string("format");
  if (format != "idx") data.fail("format", "must be \"idx\", got \"" + format + "\"");
  const double divide_by = data.number("divide_by", 1.0, 1e-300);
  const double validation_split = data.number("validation_split", 0.0, 0.0, 0.99);
  const auto limit = data.integer("limit_train", -1, -1);
  const auto limit_test = data.integer("limit_test", -1, -1);
  Dataset train = read_idx(spec.resolve(data.require_string("train_images")), spec.resolve(data.require_string("train_labels")), divide_by);
  if (data.has("test_images") || data.has("test_labels")) {
    ex.test = read_idx(spec.resolve(data.require_string("test_images")), spec.resolve(data.require_string("test_labels")), divide_by);
    if (limit_test >= 0) ex.test = ex.test.head(limit_test);
  }
  data.check_unused();
  // The limit applies before the split, and the split is seeded, so a run is reproducible.
  if (limit_train) train = train.head(*limit_train);
  else if (limit >= 0) train = train.head(limit);
  if (validation_split > 0) {
    auto [t, v] = split(train, validation_split, seed ^ 0x5eed5eedULL);
    ex.train = std::move(t);
    ex.validation = std::move(v);
  } else {
    ex.train = std::move(train);
  }
  ex.test.num_classes = ex.validation.num_classes = ex.train.num_classes =
      std::max({ex.train.num_classes, ex.test.num_classes});
}

void add_layers(const Spec& spec, const Registry& registry, Model& model) {
  if (!spec.json.contains("layers") || !spec.json["layers"].is_array() || spec.json["layers"].empty())
    throw InvalidArgument(spec.path.string() + ": \"layers\" must be a non-empty array");
  const auto& layers = spec.json["layers"];
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Params::Json entry = layers[i];
    Params::Json activation;
    // Keys the framework handles for every layer: "activation", and "<target>_regularizer" /
    // "<target>_constraint" with target a parameter name or "activity".
    std::vector<std::pair<std::string, Params::Json>> attached;
    if (entry.is_object()) {
      for (auto it = entry.begin(); it != entry.end();) {
        const std::string key = it.key();
        const bool reg = key.ends_with("_regularizer"), con = key.ends_with("_constraint");
        if (key == "activation") activation = it.value();
        else if (reg || con) attached.emplace_back(key, it.value());
        else {
          ++it;
          continue;
        }
        it = entry.erase(it);
      }
    }
    Params params(spec.path.string() + ": layers[" + std::to_string(i) + "]", entry);
    const std::string type = params.type();
    const std::string label = "layers[" + std::to_string(i) + "] (" + type + ")";
    params.set_owner(spec.path.string() + ": " + label);
    std::vector<Attachment> attachments;
    for (const auto& [key, value] : attached) {
      const bool constraint = key.ends_with("_constraint");
      auto regularizer = registry.create_regularizer(Params(params.owner() + " " + key, value));
      const auto role = constraint ? RegularizerRole::Constraint : RegularizerRole::Penalty;
      if (regularizer->role() != role)
        throw InvalidArgument(params.owner() + ": " + key + " takes a " + (constraint ? "constraint" : "penalty") +
                              ", and " + regularizer->type() + " is a " + (constraint ? "penalty" : "constraint"));
      attachments.push_back({key.substr(0, key.rfind('_')), std::move(regularizer)});
    }
    if (registry.has(PluginKind::Layer, type)) {
      model.add(registry.create_layer(params), label, std::move(attachments));
    } else if (registry.has(PluginKind::Activation, type)) {
      model.add(std::make_shared<ActivationLayer>(registry.create_activation(params)), label, std::move(attachments));
    } else {
      std::string known;
      for (const auto& n : registry.names(PluginKind::Layer)) known += (known.empty() ? "" : ", ") + n;
      for (const auto& n : registry.names(PluginKind::Activation)) known += (known.empty() ? "" : ", ") + n;
      throw PluginError(params.owner() + ": unknown layer '" + type + "'; layers and activations available: " +
                        (known.empty() ? "none" : known));
    }
    if (!activation.is_null()) {
      Params act(spec.path.string() + ": " + label + " activation", activation);
      model.add(std::make_shared<ActivationLayer>(registry.create_activation(act)), label + " " + act.type());
    }
  }
}

Experiment build_experiment(const Spec& spec, const Registry& registry, const Overrides& overrides) {
  Params top(spec.path.string(), spec.json);
  Experiment ex;
  const auto seed = static_cast<std::uint64_t>(top.integer("seed", 0, 0));
  const DType dtype = dtype_from_name(top.string("dtype", "float32"));
  Params backend = spec.section("backend", registry.best_backend());
  if (!overrides.backend.empty()) backend = Params("--backend", overrides.backend);
  ex.backend = registry.create_backend(backend);

  load_data(spec, ex, seed, overrides.limit_train);

  const Params training = spec.section("training");
  // The spec's values are read (and checked) even when the command line replaces them.
  ex.fit.epochs = static_cast<int>(training.integer("epochs", 1, 0, 1000000));
  ex.fit.batch_size = training.integer("batch_size", 32, 1);
  if (overrides.epochs) ex.fit.epochs = *overrides.epochs;
  if (overrides.batch_size) ex.fit.batch_size = *overrides.batch_size;
  if (ex.fit.batch_size <= 0)
    throw InvalidArgument("batch size must be a positive integer, got " + std::to_string(ex.fit.batch_size));
  ex.fit.shuffle = training.boolean("shuffle", true);
  ex.fit.drop_last = training.boolean("drop_last", false);
  ex.fit.seed = seed;
  training.check_unused();

  ex.model = std::make_unique<Model>(ex.backend, dtype);
  add_layers(spec, registry, *ex.model);
  ex.loss = registry.create_loss(spec.section("loss"));
  ex.optimizer = registry.create_optimizer(spec.section("optimizer"));
  if (spec.json.contains("schedule")) ex.fit.schedule = registry.create_schedule(spec.section("schedule"));
  if (spec.json.contains("gradient_transforms")) {
    const auto& list = spec.json["gradient_transforms"];
    if (!list.is_array()) throw InvalidArgument(spec.path.string() + ": \"gradient_transforms\" must be an array");
    for (std::size_t i = 0; i < list.size(); ++i)
      ex.fit.gradient_transforms.push_back(registry.create_gradient_transform(
          Params(spec.path.string() + ": gradient_transforms[" + std::to_string(i) + "]", list[i])));
  }
  top.accept({"backend", "data", "training", "layers", "loss", "optimizer", "schedule", "gradient_transforms", "name",
              "description"});
  top.check_unused();

  try {
    ex.model->build(ex.train.sample_shape, registry, seed);
    ex.loss->check(ex.model->output_shape(), ex.train.num_classes);
  } catch (const ShapeError& e) {
    throw ShapeError(spec.path.string() + ": " + e.what());
  }
  return ex;
}

}  // namespace nnplug
