#include "nnplug/framework/builders.hpp"

namespace nnplug::nn {

Component::Component(std::string type, Json parameters) : json_(std::move(parameters)) {
  if (!json_.is_object()) throw InvalidArgument(type + ": parameters must be a JSON object, got " + Params::shown(json_));
  json_["type"] = std::move(type);
}

Component Component::from_json(const Json& spec) {
  if (spec.is_string()) return Component(spec.get<std::string>());
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string())
    throw InvalidArgument("a component is a plugin name or an object with a \"type\", got " + Params::shown(spec));
  Json parameters = spec;
  parameters.erase("type");
  return Component(spec["type"].get<std::string>(), parameters);
}

Component& Component::set(const std::string& key, Json value) {
  json_[key] = std::move(value);
  return *this;
}

Layer& Layer::set(const std::string& key, Json value) {
  Component::set(key, std::move(value));
  return *this;
}

Layer& Layer::activation(const Component& function) { return set("activation", function.json()); }
Layer& Layer::name(const std::string& name) { return set("name", name); }
Layer& Layer::inputs(const std::vector<std::string>& names) { return set("inputs", names); }
Layer& Layer::regularizer(const std::string& target, const Component& penalty) { return set(target + "_regularizer", penalty.json()); }
Layer& Layer::constraint(const std::string& target, const Component& constraint) { return set(target + "_constraint", constraint.json()); }

Layer Dense(std::int64_t units) { return Layer("dense", {{"units", units}}); }
Layer Conv2d(std::int64_t filters, std::int64_t kernel_size) { return Layer("conv2d", {{"filters", filters}, {"kernel_size", kernel_size}}); }
Layer MaxPool2d(std::int64_t pool_size) { return Layer("max_pool2d", {{"pool_size", pool_size}}); }
Layer AvgPool2d(std::int64_t pool_size) { return Layer("avg_pool2d", {{"pool_size", pool_size}}); }
Layer GlobalAvgPool2d() { return Layer("global_avg_pool2d"); }
Layer Flatten() { return Layer("flatten"); }
Layer BatchNorm() { return Layer("batch_norm"); }
Layer Dropout(double rate) { return Layer("dropout", {{"rate", rate}}); }
Layer Add(const std::vector<std::string>& inputs) { return Layer("add").inputs(inputs); }
Layer Multiply(const std::vector<std::string>& inputs) { return Layer("multiply").inputs(inputs); }
Layer Concat(const std::vector<std::string>& inputs, std::int64_t axis) { return Layer("concat", {{"axis", axis}}).inputs(inputs); }

Sequential& Sequential::add(const Layer& layer) {
  layers_.push_back(layer);
  return *this;
}

Json Sequential::json() const {
  Json out = Json::array();
  for (const auto& layer : layers_) out.push_back(layer.json());
  return out;
}

Sgd::operator Component() const {
  Component c("sgd", {{"momentum", momentum}, {"dampening", dampening}, {"weight_decay", weight_decay}, {"nesterov", nesterov}});
  if (lr) c.set("lr", *lr);
  return c;
}

Adam::operator Component() const {
  return Component("adam", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"amsgrad", amsgrad}});
}

AdamW::operator Component() const {
  return Component("adamw", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"amsgrad", amsgrad}});
}

}  // namespace nnplug::nn
