#include "nnplug/framework/model.hpp"

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/finite_in_dtype.hpp"
#include "nnplug/framework/name_list.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace nnplug {

Model::Model(std::shared_ptr<Backend> backend, DType dtype) : backend_(std::move(backend)), dtype_(dtype) {
  if (dtype == DType::Int32) throw InvalidArgument("a model computes in float32 or float64, not int32");
}

namespace {
// Runs a layer's pass; a backend's error (an op's shapes, a device fault, device memory) gets the layer's name, so
// that "cuda backend: conv2d: ..." reads "layers[2] (conv2d) forward: cuda backend: conv2d: ...".
template <typename Pass>
decltype(auto) run_naming_layer(const std::string& label, const char* pass, Pass&& run) {
  try {
    return run();
  } catch (const BackendError& e) {
    throw BackendError(fmt::format("{} {}: {}", label, pass, e.what()));
  }
}
}  // namespace

void Model::add(ModelNode node) {
  if (built_) throw Error(fmt::format("cannot add {}: the model is already built", node.label));
  const std::size_t index = layers_.size();
  if (node.inputs.empty()) node.inputs = {index == 0 ? kInput : index - 1};
  for (const std::size_t in : node.inputs)
    if (in != kInput && in >= index)
      throw InvalidArgument(fmt::format("{} reads node {}, which does not come before it", node.label, in));
  Entry entry;
  static_cast<ModelNode&>(entry) = std::move(node);
  layers_.push_back(std::move(entry));
}

std::string Model::node_name(std::size_t i) const { return layers_[i].name.empty() ? fmt::format("{}", i) : layers_[i].name; }

std::string Model::parameter_name(std::size_t i, const Parameter& p) const { return fmt::format("{}.{}", node_name(i), p.name); }

std::string channels_last_hint(const Shape& sample) {
  const auto few = [](std::int64_t channels) { return channels == 1 || channels == 3 || channels == 4; };
  if (sample.rank() != 3 || !few(sample[2]) || few(sample[0])) return "";
  return fmt::format("nnplug's images are channels first, [channels, height, width] as PyTorch's: a channels-last {} (Keras's) is [{}, {}, {}] "
                     "(NumPy: x.transpose(0, 3, 1, 2); or a first layer {{\"type\": \"permute\", \"dims\": [3, 1, 2]}} takes it as it is)",
                     sample.str(), sample[2], sample[0], sample[1]);
}

std::string Model::describe_input(std::size_t node) const {
  if (node == kInput) return fmt::format("the input {}", input_shape_.str());
  return fmt::format("{}, which produces {}", layers_[node].label, layers_[node].output.str());
}

void Model::bind_attachments(Entry& entry) {
  for (const auto& a : entry.attachments) {
    const bool constraint = a.regularizer->role() == RegularizerRole::Constraint;
    if (a.target == "activity") {
      if (constraint)
        throw InvalidArgument(fmt::format("{}: {} is a constraint; an activity takes a penalty", entry.label, a.regularizer->type()));
      entry.bound.push_back({nullptr, a.regularizer});
      continue;
    }
    Parameter* found = nullptr;
    std::vector<std::string> names;
    for (Parameter* p : entry.layer->parameters()) {
      if (p->name == a.target) found = p;
      names.push_back(p->name);
    }
    // Keras's kernel_regularizer names the weight matrix "kernel".
    const bool kernel = a.target == "kernel" && std::ranges::find(names, "weight") != names.end();
    const char* role = constraint ? "constraint" : "regularizer";
    if (!found)
      throw InvalidArgument(fmt::format("{}: {}_{} names no parameter of this layer (it has: {}){}", entry.label, a.target, role, name_list(names),
                                        kernel ? fmt::format(" (Keras's 'kernel_{0}' is nnplug's 'weight_{0}')", role) : ""));
    entry.bound.push_back({found, a.regularizer});
  }
}

Shape Model::build_node(std::size_t i, const Shape& input, const BuildContext& ctx) {
  Entry& entry = layers_[i];
  std::vector<Shape> shapes;
  std::vector<std::string> from;
  for (const std::size_t in : entry.inputs) {
    shapes.push_back(in == kInput ? input : layers_[in].output);
    from.push_back(describe_input(in));
  }
  try {
    if (entry.layer->merges()) {
      if (shapes.size() < 2)
        throw ShapeError(fmt::format("{} merges two or more inputs: name them with \"inputs\": [\"a\", \"b\"]", entry.layer->type()));
      return entry.layer->build_merge(shapes, ctx);
    }
    if (shapes.size() != 1)
      throw ShapeError(fmt::format("{} takes one input, and reads {}", entry.layer->type(), shapes.size()));
    return entry.layer->build(shapes[0], ctx);
  } catch (const ShapeError& e) {
    const char* verb = entry.inputs.size() > 1 ? "merge" : "take the output of";
    const bool reads_input = std::ranges::find(entry.inputs, kInput) != entry.inputs.end();
    const std::string hint = reads_input ? channels_last_hint(input) : "";
    throw ShapeError(fmt::format("{} cannot {} {}: {}{}{}", entry.label, verb, fmt::join(from, " and "), e.what(), hint.empty() ? "" : "; ", hint));
  } catch (const Error& e) {
    throw InvalidArgument(fmt::format("{}: {}", entry.label, e.what()));
  }
}

void Model::build(const Shape& input, const Registry& registry, std::uint64_t seed) {
  if (layers_.empty()) throw InvalidArgument("the model has no layers");
  bool sizes_fit = input.rank() >= 1 && static_cast<std::size_t>(input.rank()) <= kMaxSampleSizes;
  std::int64_t values = 1;
  for (std::int64_t d : input) {
    sizes_fit = sizes_fit && d >= 1 && d <= kMaxSampleValues / values;
    if (sizes_fit) values *= d;
  }
  if (!sizes_fit)
    throw ShapeError(fmt::format("the model's input: samples of shape {} (a sample has 1 to {} sizes, each at least 1, and at most 2^30 values)",
                                 input.str(), kMaxSampleSizes));
  input_shape_ = input;
  for (auto& entry : layers_) entry.consumers = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // Each layer draws from its own stream: the model's seed mixed with the layer's position.
    const BuildContext ctx{*backend_, dtype_, seed * 0x9E3779B97F4A7C15ULL + i + 1};
    layers_[i].output = build_node(i, input, ctx);
    layers_[i].row_major_inputs.resize(layers_[i].inputs.size());
    layers_[i].input_grads.resize(layers_[i].inputs.size());
    bind_attachments(layers_[i]);
    for (const std::size_t in : layers_[i].inputs)
      if (in != kInput) ++layers_[in].consumers;
  }
  ++layers_.back().consumers;  // the model's output
  for (const auto& entry : layers_)
    if (entry.consumers == 0)
      throw InvalidArgument(fmt::format("{}: nothing reads its output, so it would never get a gradient", entry.label));
  output_shape_ = layers_.back().output;
  fuse_activations();
  std::int64_t penalties = 0;
  for (auto& entry : layers_)
    for (auto& b : entry.bound)
      if (b.regularizer->role() == RegularizerRole::Penalty) b.slot = penalties++;
  if (penalties > 0) penalty_values_ = backend_->empty(Shape{penalties}, dtype_);

  // One generator for the whole model, drawn in layer order, so a seed fixes every initial value.
  Random random(seed);
  for (const auto& entry : layers_) {
    for (Parameter* p : entry.layer->parameters()) {
      Params init = p->init;
      init.set_owner(fmt::format("{} {} initializer", entry.label, p->name));
      auto initializer = registry.create_initializer(init);
      std::vector<double> values(static_cast<std::size_t>(p->value.numel()));
      initializer->generate(values, InitTarget{p->value.shape(), p->fan_in, p->fan_out}, random);
      // A value the dtype does not hold (prelu's init 1e300 in float32) would start training from inf or NaN.
      for (const double v : values)
        if (!finite_in(v, dtype_))
          throw InvalidArgument(fmt::format("{} drew {}, which is not a finite {} value", init.owner(), v, dtype_name(dtype_)));
      from_host(p->value, values);
    }
    entry.layer->initialized();
  }
  built_ = true;
}

void Model::fuse_activations() {
  const auto watched = [](const Entry& e) {
    return e.consumers != 1 || std::any_of(e.bound.begin(), e.bound.end(), [](const auto& b) { return b.parameter == nullptr; });
  };
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Entry& entry = layers_[i];
    auto* activation = dynamic_cast<ActivationLayer*>(entry.layer.get());
    if (!activation || entry.inputs.size() != 1 || entry.inputs[0] == kInput) continue;
    Entry& producer = layers_[entry.inputs[0]];
    if (watched(producer) || !producer.layer->fuse_activation(activation->activation())) continue;
    activation->pass_through();
    // The one layer that reads the activation's output may take the gradient through it as well.
    const auto f = activation->activation().pointwise();
    const auto reader = std::find_if(layers_.begin() + static_cast<std::ptrdiff_t>(i) + 1, layers_.end(),
                                     [&](const Entry& e) { return e.inputs == std::vector<std::size_t>{i}; });
    if (f && !watched(entry) && reader != layers_.end() && !reader->layer->merges() && reader->layer->take_input_activation_gradient(*f))
      producer.layer->leave_activation_gradient_to_next();
  }
}

const Tensor& Model::in_layout(const Tensor& t, Layout layout, Tensor& copy) {
  if (t.layout() == layout) return t;
  backend_->run(op::Copy{t, ensure(copy, *backend_, t.shape(), t.dtype(), layout)});
  return copy;
}

const Tensor& Model::forward_node(std::size_t i, const Tensor& x) {
  Entry& entry = layers_[i];
  auto input = [&](std::size_t k) -> const Tensor& {
    const std::size_t in = entry.inputs[k];
    const Tensor& t = in == kInput ? x : *layers_[in].value;
    return entry.layer->takes_any_layout() ? t : in_layout(t, Layout::RowMajor, entry.row_major_inputs[k]);
  };
  entry.value = &run_naming_layer(entry.label, "forward", [&]() -> const Tensor& {
    if (!entry.layer->merges()) return entry.layer->forward(input(0));
    std::vector<Tensor> inputs;
    for (std::size_t k = 0; k < entry.inputs.size(); ++k) inputs.push_back(input(k));
    return entry.layer->forward_merge(inputs);
  });
  return *entry.value;
}

const Tensor& Model::forward(const Tensor& x) {
  if (!built_) throw Error("the model must be built before forward()");
  if (!(x.shape().without_batch() == input_shape_))
    throw ShapeError(fmt::format("model input has per-sample shape {}, the model expects {}", x.shape().without_batch().str(), input_shape_.str()));
  if (x.dtype() != dtype_)
    throw InvalidArgument(fmt::format("model input is {}, the model computes in {}", dtype_name(x.dtype()), dtype_name(dtype_)));
  if (penalty_values_.defined()) backend_->run(op::Fill{penalty_values_, 0.0});
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Entry& entry = layers_[i];
    const Tensor& out = forward_node(i, x);
    bool first = true;
    for (const auto& b : entry.bound) {
      if (b.parameter || b.regularizer->role() != RegularizerRole::Penalty || !training_) continue;
      // A regularizer is a plugin that may run any op, so it reads the output row-major.
      const Tensor& h = in_layout(out, Layout::RowMajor, entry.row_major_output);
      if (first) backend_->run(op::Fill{ensure(entry.activity_grad, *backend_, h.shape(), dtype_), 0.0});
      first = false;
      b.regularizer->penalize(h, entry.activity_grad, batch_share_ / static_cast<double>(h.dim(0)),
                              penalty_values_.rows(b.slot, b.slot + 1));
    }
    if (first) entry.activity_grad = Tensor();
  }
  return in_layout(*layers_.back().value, Layout::RowMajor, output_);
}

void Model::backward(const Tensor& dy, const std::function<void(std::size_t)>& gradients_written,
                     const std::function<void(std::size_t)>& layer_done) {
  // A node takes the first of its consumers' input gradients to come back as it is, and where it feeds several,
  // the others are added to that one in place, as an activity penalty's gradient is below: a copy into a sum of its
  // own cost the ResNet a pass over the activations per residual block. Nothing else reads a consumer's input
  // gradient (or its copy in another layout) once it has arrived, except where a merge layer gave one tensor to
  // several of its inputs (add's dy): so before it adds to a node's gradient in place, the model copies it if a node
  // still to run backward holds the same memory (nodes run from the last, so one below the running node).
  for (auto& entry : layers_) entry.grad = nullptr;
  const auto writable = [&](Entry& node, std::size_t running) -> const Tensor& {
    const Tensor& g = *node.grad;
    for (std::size_t j = 0; j < running; ++j)
      if (&layers_[j] != &node && layers_[j].grad && layers_[j].grad->buffer() == g.buffer()) {
        backend_->run(op::Copy{g, ensure(node.own_grad, *backend_, g.shape(), g.dtype(), g.layout())});
        return *(node.grad = &node.own_grad);
      }
    return g;
  };
  // Each gradient arrives in the layout of the output it belongs to.
  auto arrive = [&](Entry& from, std::size_t running, std::size_t k, const Tensor& given) {
    const std::size_t node = from.inputs[k];
    if (node == kInput) return;
    Entry& to = layers_[node];
    const Tensor& g = in_layout(given, to.value->layout(), from.input_grads[k]);
    if (!to.grad) to.grad = &g;
    else backend_->run(op::Axpby{g, writable(to, running), 1.0, 1.0});
  };
  // Each layer may say when its parameter gradients are written; the hooks are taken away again when backward
  // ends (or throws), so that a layer run on its own later calls nothing of this pass.
  const auto written = [&](std::size_t i) {
    if (layers_[i].gradients_written) return;
    layers_[i].gradients_written = true;
    gradients_written(i);
  };
  struct Hooks {
    std::vector<Entry>& layers;
    ~Hooks() {
      for (auto& entry : layers) entry.layer->on_gradients_written({});
    }
  };
  std::optional<Hooks> hooks;
  if (gradients_written) {
    hooks.emplace(Hooks{layers_});
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      layers_[i].gradients_written = false;
      layers_[i].layer->on_gradients_written([&written, i] { written(i); });
    }
  }
  Entry& last = layers_.back();
  last.grad = &in_layout(dy, last.value->layout(), output_grad_);
  for (std::size_t i = layers_.size(); i-- > 0;) {
    Entry& entry = layers_[i];
    // An activity penalty's gradient joins the gradient arriving at the node's output. That gradient is a later
    // node's input gradient (or the loss', or a sum of them), so it is updated in place.
    if (entry.activity_grad.defined())
      backend_->run(op::Axpby{in_layout(entry.activity_grad, entry.grad->layout(), entry.activity_grad_in_layout), writable(entry, i), 1.0, 1.0});
    const Tensor& g = *entry.grad;
    if (!entry.layer->merges()) {
      const std::size_t in = entry.inputs[0];
      arrive(entry, i, 0, run_naming_layer(entry.label, "backward", [&]() -> const Tensor& { return entry.layer->backward(g, in != kInput); }));
    } else {
      const auto& dx = run_naming_layer(entry.label, "backward", [&]() -> const std::vector<Tensor>& { return entry.layer->backward_merge(g); });
      if (dx.size() != entry.inputs.size())
        throw Error(fmt::format("{}: backward_merge gave {} gradients for {} inputs", entry.label, dx.size(), entry.inputs.size()));
      for (std::size_t k = 0; k < entry.inputs.size(); ++k) arrive(entry, i, k, dx[k]);
    }
    if (gradients_written) written(i);
    if (layer_done) layer_done(i);
  }
}

void Model::apply_penalties(const std::vector<Parameter*>* only, double strength) {
  for (auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.among(only) && b.regularizer->role() == RegularizerRole::Penalty)
        b.regularizer->penalize(b.parameter->value, b.parameter->grad, strength, penalty_values_.rows(b.slot, b.slot + 1));
}

Model::Penalties Model::penalties() const {
  Penalties out;
  if (!penalty_values_.defined()) return out;
  const auto values = to_host<double>(penalty_values_);
  for (const auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.slot >= 0) (b.parameter ? out.parameters : out.activity) += values[static_cast<std::size_t>(b.slot)];
  return out;
}

bool Model::has_parameter_penalties() const {
  for (const auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.parameter && b.regularizer->role() == RegularizerRole::Penalty) return true;
  return false;
}

bool Model::has_penalties() const {
  for (const auto& entry : layers_)
    for (const auto& a : entry.attachments)
      if (a.regularizer->role() == RegularizerRole::Penalty) return true;
  return false;
}

void Model::apply_constraints(const std::vector<Parameter*>* only) {
  for (auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.among(only) && b.regularizer->role() == RegularizerRole::Constraint) b.regularizer->constrain(b.parameter->value);
}

void Model::set_training(bool training) {
  training_ = training;
  for (auto& entry : layers_) entry.layer->set_training(training);
}

std::vector<std::vector<std::uint64_t>> Model::counters() const {
  std::vector<std::vector<std::uint64_t>> out;
  for (const auto& entry : layers_) out.push_back(entry.layer->counters());
  return out;
}

void Model::set_counters(const std::vector<std::vector<std::uint64_t>>& counters) {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (!counters[i].empty()) layers_[i].layer->set_counters(counters[i]);
}

void Model::set_sample_offset(std::int64_t first) {
  for (auto& entry : layers_) entry.layer->set_sample_offset(first);
}

std::string Model::set_communicator(Communicator* communicator) {
  std::string first;
  for (auto& entry : layers_)
    if (entry.layer->set_communicator(communicator) && first.empty()) first = entry.label;
  return first;
}

std::vector<Parameter*> Model::parameters(bool trainable_only) const {
  std::vector<Parameter*> out;
  for (const auto& entry : layers_)
    for (Parameter* p : entry.layer->parameters())
      if (p->trainable || !trainable_only) out.push_back(p);
  return out;
}

std::int64_t Model::parameter_count(bool trainable_only) const {
  std::int64_t n = 0;
  for (Parameter* p : parameters(trainable_only)) n += p->value.numel();
  return n;
}

void Model::forward_each(const Tensor& x, const std::function<void(std::size_t, const Tensor&)>& visit) {
  for (std::size_t i = 0; i < layers_.size(); ++i) visit(i, forward_node(i, x));
}

namespace {
bool finite(const Tensor& t) {
  for (double v : to_host<double>(t))
    if (!std::isfinite(v)) return false;
  return true;
}
}  // namespace

std::string Model::first_non_finite_parameter() const {
  for (const auto& entry : layers_)
    for (Parameter* p : entry.layer->parameters())
      if (!finite(p->value)) return fmt::format("{} {}", entry.label, p->name);
  return "";
}

std::string Model::first_non_finite(const Tensor& x) {
  if (std::string where = first_non_finite_parameter(); !where.empty()) return where;
  if (!finite(x)) return "the input batch";
  std::string where;
  forward_each(x, [&](std::size_t i, const Tensor& h) {
    if (where.empty() && !finite(h)) where = fmt::format("{} output", layers_[i].label);
  });
  return where;
}

std::string Model::summary(bool expand) const {
  bool chain = true;
  for (std::size_t i = 0; i < layers_.size(); ++i) chain = chain && layers_[i].inputs == std::vector<std::size_t>{i == 0 ? kInput : i - 1};
  std::size_t width = 28;  // the label column: the longest label (or block instance) and two spaces
  for (const auto& entry : layers_) width = std::max({width, entry.label.size() + 2, entry.group.size() + 2});
  // A chain's lines end with the parameter count; a graph's name each node's inputs after it.
  auto row = [chain, width](const std::string& label, const std::string& shape, const std::string& parameters, const std::string& inputs) {
    if (chain) return fmt::format("{:<{}}{:<20}{}\n", label, width, shape, parameters);
    return fmt::format("{:<{}}{:<20}{:<12}{}\n", label, width, shape, parameters, inputs);
  };
  std::string out = row("layer", "output shape", "parameters", "inputs") + row("input", input_shape_.str(), "0", "");
  // An input as the rows above name it: its row's label (a name where the label starts with it), or the folded
  // block instance it lies in. Not the node's index, which no row shows.
  auto row_of = [&](std::size_t node) -> std::string {
    if (node == kInput) return "input";
    const Entry& in = layers_[node];
    if (!expand && !in.group.empty()) return in.group;
    return in.label.starts_with(in.name + " (") ? in.name : in.label;
  };
  auto parameters_of = [](const Entry& entry) {
    std::int64_t n = 0;
    for (Parameter* p : entry.layer->parameters()) n += p->value.numel();
    return n;
  };
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Entry& entry = layers_[i];
    std::vector<std::string> inputs;
    if (!expand && !entry.group.empty()) {  // the block instance's nodes, as one line, with what they read from outside it
      std::int64_t n = 0;
      std::size_t last = i;
      for (; last < layers_.size() && layers_[last].group == entry.group; ++last) {
        n += parameters_of(layers_[last]);
        for (const std::size_t in : layers_[last].inputs)
          if (const std::string name = row_of(in); name != entry.group && std::find(inputs.begin(), inputs.end(), name) == inputs.end())
            inputs.push_back(name);
      }
      out += row(entry.group, layers_[last - 1].output.str(), fmt::format("{}", n), fmt::format("{}", fmt::join(inputs, ", ")));
      i = last - 1;
      continue;
    }
    for (const std::size_t in : entry.inputs) inputs.push_back(row_of(in));
    out += row(entry.label, entry.output.str(), fmt::format("{}", parameters_of(entry)), fmt::format("{}", fmt::join(inputs, ", ")));
  }
  const auto trainable = parameter_count(true), total = parameter_count(false);
  out += fmt::format("total parameters: {} (trainable {}, non-trainable {})\n", total, trainable, total - trainable);
  return out;
}

}  // namespace nnplug
