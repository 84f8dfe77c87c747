#include "nnplug/framework/builders.hpp"

#include <fmt/format.h>

namespace nnplug::nn {

namespace {

// A component whose one required parameter is left out when unset, so that the plugin's own message names it.
Component with_required(Component c, const std::string& key, const auto& value) {
  if (value) c.set(key, *value);
  return c;
}

}  // namespace

Component::Component(std::string type, Json parameters) : json_(std::move(parameters)) {
  if (!json_.is_object()) throw InvalidArgument(fmt::format("{}: parameters must be a JSON object, got {}", type, Params::shown(json_)));
  json_["type"] = std::move(type);
}

Component Component::from_json(const Json& spec) {
  if (spec.is_string()) return Component(spec.get<std::string>());
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string())
    throw InvalidArgument(fmt::format("a component is a plugin name or an object with a \"type\", got {}", Params::shown(spec)));
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
Layer& Layer::regularizer(const std::string& target, const Component& penalty) { return set(fmt::format("{}_regularizer", target), penalty.json()); }
Layer& Layer::constraint(const std::string& target, const Component& constraint) { return set(fmt::format("{}_constraint", target), constraint.json()); }
Layer& Layer::init(const std::string& parameter, const Component& initializer) { return set(fmt::format("{}_init", parameter), initializer.json()); }

Layer Dense(std::int64_t units) { return Layer("dense", {{"units", units}}); }
Layer Conv2d(std::int64_t filters, std::int64_t kernel_size) { return Layer("conv2d", {{"filters", filters}, {"kernel_size", kernel_size}}); }
Layer ConvTranspose2d(std::int64_t filters, std::int64_t kernel_size) {
  return Layer("conv2d_transpose", {{"filters", filters}, {"kernel_size", kernel_size}});
}
Layer MaxPool2d(std::int64_t pool_size) { return Layer("max_pool2d", {{"pool_size", pool_size}}); }
Layer AvgPool2d(std::int64_t pool_size) { return Layer("avg_pool2d", {{"pool_size", pool_size}}); }
Layer GlobalAvgPool2d() { return Layer("global_avg_pool2d"); }
Layer GlobalMaxPool2d() { return Layer("global_max_pool2d"); }
Layer AdaptiveAvgPool2d(const std::vector<std::int64_t>& output_size) { return Layer("adaptive_avg_pool2d", {{"output_size", output_size}}); }
Layer AdaptiveMaxPool2d(const std::vector<std::int64_t>& output_size) { return Layer("adaptive_max_pool2d", {{"output_size", output_size}}); }
Layer ZeroPadding2d(std::int64_t padding) { return Layer("zero_padding2d", {{"padding", padding}}); }
Layer Padding2d(std::int64_t padding, const std::string& mode) { return Layer("padding2d", {{"padding", padding}, {"mode", mode}}); }
Layer Padding1d(std::int64_t padding, const std::string& mode) { return Layer("padding1d", {{"padding", padding}, {"mode", mode}}); }
Layer Cropping2d(std::int64_t cropping) { return Layer("cropping2d", {{"cropping", cropping}}); }
Layer Cropping1d(std::int64_t start, std::int64_t end) { return Layer("cropping1d", {{"cropping", {start, end}}}); }
Layer Upsample2d(std::int64_t scale_factor) { return Layer("upsample2d", {{"scale_factor", scale_factor}}); }
Layer Conv1d(std::int64_t filters, std::int64_t kernel_size) { return Layer("conv1d", {{"filters", filters}, {"kernel_size", kernel_size}}); }
Layer ChannelShuffle(std::int64_t groups) { return Layer("channel_shuffle", {{"groups", groups}}); }
Layer Glu(std::int64_t dim) { return Layer("glu", {{"dim", dim}}); }
Layer RepeatVector(std::int64_t n) { return Layer("repeat_vector", {{"n", n}}); }
Layer Rescaling(double scale, double offset) { return Layer("rescaling", {{"scale", scale}, {"offset", offset}}); }
Layer Normalization(const std::vector<double>& mean, const std::vector<double>& variance) {
  return Layer("normalization", {{"mean", mean}, {"variance", variance}});
}
Layer Upsample1d(std::int64_t scale_factor) { return Layer("upsample1d", {{"scale_factor", scale_factor}}); }
Layer ConvTranspose1d(std::int64_t filters, std::int64_t kernel_size) {
  return Layer("conv1d_transpose", {{"filters", filters}, {"kernel_size", kernel_size}});
}
Layer MaxPool1d(std::int64_t pool_size) { return Layer("max_pool1d", {{"pool_size", pool_size}}); }
Layer AvgPool1d(std::int64_t pool_size) { return Layer("avg_pool1d", {{"pool_size", pool_size}}); }
Layer GlobalAvgPool1d() { return Layer("global_avg_pool1d"); }
Layer GlobalMaxPool1d() { return Layer("global_max_pool1d"); }
Layer LSTM(std::int64_t units) { return Layer("lstm", {{"units", units}}); }
Layer GRU(std::int64_t units) { return Layer("gru", {{"units", units}}); }
Layer RNN(std::int64_t units) { return Layer("rnn", {{"units", units}}); }
Layer Embedding(std::int64_t input_dim, std::int64_t output_dim) {
  return Layer("embedding", {{"input_dim", input_dim}, {"output_dim", output_dim}});
}
Layer MultiHeadAttention(std::int64_t num_heads) { return Layer("multi_head_attention", {{"num_heads", num_heads}}); }
Layer PositionEmbedding() { return Layer("position_embedding"); }
Layer PositionalEncoding() { return Layer("positional_encoding"); }
Layer Flatten() { return Layer("flatten"); }
Layer Reshape(const std::vector<std::int64_t>& shape) { return Layer("reshape", {{"shape", shape}}); }
Layer Permute(const std::vector<std::int64_t>& dims) { return Layer("permute", {{"dims", dims}}); }
Layer BatchNorm() { return Layer("batch_norm"); }
Layer LayerNorm() { return Layer("layer_norm"); }
Layer LayerNorm(const std::vector<std::int64_t>& normalized_shape) { return Layer("layer_norm", {{"normalized_shape", normalized_shape}}); }
Layer RmsNorm(const std::vector<std::int64_t>& normalized_shape) { return Layer("rms_norm", {{"normalized_shape", normalized_shape}}); }
Layer GroupNorm(std::int64_t num_groups) { return Layer("group_norm", {{"num_groups", num_groups}}); }
Layer InstanceNorm() { return Layer("instance_norm"); }
Layer Dropout(double rate) { return Layer("dropout", {{"rate", rate}}); }
Layer SpatialDropout(double rate) { return Layer("spatial_dropout", {{"rate", rate}}); }
Layer PixelShuffle(std::int64_t upscale_factor) { return Layer("pixel_shuffle", {{"upscale_factor", upscale_factor}}); }
Layer PixelUnshuffle(std::int64_t downscale_factor) { return Layer("pixel_unshuffle", {{"downscale_factor", downscale_factor}}); }
Layer StochasticDepth(double rate) { return Layer("stochastic_depth", {{"rate", rate}}); }
Layer Add(const std::vector<std::string>& inputs) { return Layer("add").inputs(inputs); }
Layer Subtract(const std::vector<std::string>& inputs) { return Layer("subtract").inputs(inputs); }
Layer Average(const std::vector<std::string>& inputs) { return Layer("average").inputs(inputs); }
Layer Multiply(const std::vector<std::string>& inputs) { return Layer("multiply").inputs(inputs); }
Layer Concat(const std::vector<std::string>& inputs, std::int64_t axis) { return Layer("concat", {{"axis", axis}}).inputs(inputs); }

Layer Block(const std::string& block) {
  Layer use("block");  // made as a layer, then the block's entry, which has no plugin type
  use.json_.erase("type");
  return use.set("block", block);
}

Sequential& Sequential::add(const Layer& layer) {
  layers_.push_back(layer);
  return *this;
}

Sequential& Sequential::block(const std::string& name, Json definition) {
  blocks_[name] = std::move(definition);
  return *this;
}

Json Sequential::json() const {
  Json out = Json::array();
  for (const auto& layer : layers_) out.push_back(layer.json());
  return out;
}

Sgd::operator Component() const {
  return with_required(Component("sgd", {{"momentum", momentum}, {"dampening", dampening}, {"weight_decay", weight_decay}, {"nesterov", nesterov}}),
                       "lr", lr);
}

Adam::operator Component() const {
  return Component("adam", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"amsgrad", amsgrad}});
}

AdamW::operator Component() const {
  return Component("adamw", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"amsgrad", amsgrad}});
}

NAdam::operator Component() const {
  return Component("nadam", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"momentum_decay", momentum_decay}});
}

Adamax::operator Component() const { return Component("adamax", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}}); }
Lion::operator Component() const { return Component("lion", {{"lr", lr}, {"betas", betas}, {"weight_decay", weight_decay}}); }
Ftrl::operator Component() const {
  return Component("ftrl", {{"lr", lr},
                            {"learning_rate_power", learning_rate_power},
                            {"initial_accumulator_value", initial_accumulator_value},
                            {"l1_regularization_strength", l1_regularization_strength},
                            {"l2_regularization_strength", l2_regularization_strength},
                            {"l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength},
                            {"beta", beta}});
}
Lars::operator Component() const {
  return with_required(Component("lars", {{"momentum", momentum}, {"dampening", dampening}, {"weight_decay", weight_decay}, {"nesterov", nesterov},
                                          {"trust_coefficient", trust_coefficient}, {"eps", eps}, {"trust_clip", trust_clip},
                                          {"always_adapt", always_adapt}}),
                       "lr", lr);
}
Lamb::operator Component() const {
  return Component("lamb", {{"lr", lr}, {"betas", betas}, {"eps", eps}, {"weight_decay", weight_decay}, {"trust_ratio", trust_ratio}});
}
Adafactor::operator Component() const {
  return Component("adafactor", {{"lr", lr}, {"beta2_decay", beta2_decay}, {"eps", {eps1 ? Json(*eps1) : Json(nullptr), eps2}}, {"d", d},
                                 {"weight_decay", weight_decay}});
}
Rprop::operator Component() const { return Component("rprop", {{"lr", lr}, {"etas", etas}, {"step_sizes", step_sizes}}); }
Asgd::operator Component() const {
  return Component("asgd", {{"lr", lr}, {"lambd", lambd}, {"alpha", alpha}, {"t0", t0}, {"weight_decay", weight_decay}});
}

Zeros::operator Component() const { return Component("zeros"); }
Constant::operator Component() const { return with_required(Component("constant"), "value", value); }
Normal::operator Component() const { return Component("normal", {{"mean", mean}, {"std", std}}); }
Uniform::operator Component() const { return Component("uniform", {{"a", a}, {"b", b}}); }
XavierUniform::operator Component() const { return Component("xavier_uniform", {{"gain", gain}}); }
XavierNormal::operator Component() const { return Component("xavier_normal", {{"gain", gain}}); }
HeUniform::operator Component() const { return Component("he_uniform", {{"mode", mode}}); }
HeNormal::operator Component() const { return Component("he_normal", {{"mode", mode}}); }

L1::operator Component() const { return with_required(Component("l1"), "lambda", lambda); }
L2::operator Component() const { return with_required(Component("l2"), "lambda", lambda); }
ElasticNet::operator Component() const { return Component("elastic", {{"l1", l1}, {"l2", l2}}); }
MaxNorm::operator Component() const { return Component("max_norm", {{"max_value", max_value}}); }
NonNeg::operator Component() const { return Component("non_neg"); }
UnitNorm::operator Component() const { return Component("unit_norm"); }

StepLR::operator Component() const { return with_required(Component("step", {{"gamma", gamma}}), "step_size", step_size); }
ExponentialLR::operator Component() const { return with_required(Component("exponential"), "gamma", gamma); }
CosineAnnealingLR::operator Component() const { return with_required(Component("cosine", {{"eta_min", eta_min}}), "T_max", T_max); }
LinearWarmup::operator Component() const {
  return Component("linear_warmup", {{"start_factor", start_factor}, {"end_factor", end_factor}, {"total_iters", total_iters}, {"per", per}});
}
PolynomialLR::operator Component() const { return Component("polynomial", {{"total_iters", total_iters}, {"power", power}}); }
CosineAnnealingWarmRestarts::operator Component() const {
  return with_required(Component("cosine_warm_restarts", {{"T_mult", T_mult}, {"eta_min", eta_min}}), "T_0", T_0);
}
MultiStepLR::operator Component() const { return Component("multi_step", {{"milestones", milestones}, {"gamma", gamma}}); }
OneCycleLR::operator Component() const {
  Component c("one_cycle", {{"pct_start", pct_start}, {"anneal_strategy", anneal_strategy}, {"div_factor", div_factor},
                            {"final_div_factor", final_div_factor}, {"three_phase", three_phase}, {"cycle_momentum", cycle_momentum}});
  if (cycle_momentum) c.set("base_momentum", base_momentum).set("max_momentum", max_momentum);
  return with_required(with_required(c, "total_steps", total_steps), "max_lr", max_lr);
}
CyclicLR::operator Component() const {
  Component c("cyclic", {{"step_size_up", step_size_up}, {"mode", mode}, {"cycle_momentum", cycle_momentum}});
  if (cycle_momentum) c.set("base_momentum", base_momentum).set("max_momentum", max_momentum);
  if (base_lr) c.set("base_lr", *base_lr);
  if (step_size_down) c.set("step_size_down", *step_size_down);
  if (gamma) c.set("gamma", *gamma);
  return with_required(c, "max_lr", max_lr);
}
SequentialLR::operator Component() const {
  Json list = Json::array();
  for (const Component& s : schedules) list.push_back(s.json());
  return Component("sequential", {{"schedules", list}, {"milestones", milestones}, {"per", per}});
}

}  // namespace nnplug::nn
