#include "nnplug/framework/model.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace nnplug {

Model::Model(std::shared_ptr<Backend> backend, DType dtype) : backend_(std::move(backend)), dtype_(dtype) {
  if (dtype == DType::Int32) throw InvalidArgument("a model computes in float32 or float64, not int32");
}

namespace {
// Runs a layer's pass; a backend's error (an op's shapes, a device fault, device memory) gets the layer's name, so
// that "cuda backend: conv2d: ..." reads "layers[2] (conv2d) forward: cuda backend: conv2d: ...".
template <typename Pass>
const Tensor& run_naming_layer(const std::string& label, const char* pass, Pass&& run) {
  try {
    return run();
  } catch (const BackendError& e) {
    throw BackendError(label + " " + pass + ": " + e.what());
  }
}
}  // namespace

void Model::add(std::shared_ptr<Layer> layer, std::string label, std::vector<Attachment> attachments) {
  if (built_) throw Error("cannot add " + label + ": the model is already built");
  layers_.push_back({std::move(layer), std::move(label), {}, std::move(attachments), {}, {}});
}

void Model::bind_attachments(Entry& entry) {
  for (const auto& a : entry.attachments) {
    const bool constraint = a.regularizer->role() == RegularizerRole::Constraint;
    if (a.target == "activity") {
      if (constraint)
        throw InvalidArgument(entry.label + ": " + a.regularizer->type() + " is a constraint; an activity takes a penalty");
      entry.bound.push_back({nullptr, a.regularizer});
      continue;
    }
    Parameter* found = nullptr;
    std::string names;
    for (Parameter* p : entry.layer->parameters()) {
      if (p->name == a.target) found = p;
      names += (names.empty() ? "" : ", ") + p->name;
    }
    if (!found)
      throw InvalidArgument(entry.label + ": " + a.target + "_" + (constraint ? "constraint" : "regularizer") +
                            " names no parameter of this layer (it has: " + (names.empty() ? "none" : names) + ")");
    entry.bound.push_back({found, a.regularizer});
  }
}

void Model::build(const Shape& input, const Registry& registry, std::uint64_t seed) {
  if (layers_.empty()) throw InvalidArgument("the model has no layers");
  input_shape_ = input;
  Shape shape = input;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // Each layer draws from its own stream: the model's seed mixed with the layer's position.
    const BuildContext ctx{*backend_, dtype_, seed * 0x9E3779B97F4A7C15ULL + i + 1};
    try {
      shape = layers_[i].layer->build(shape, ctx);
    } catch (const ShapeError& e) {
      const std::string from = i == 0 ? "the input " : layers_[i - 1].label + ", which produces ";
      throw ShapeError(layers_[i].label + " cannot take the output of " + from + shape.str() + ": " + e.what());
    } catch (const Error& e) {
      throw InvalidArgument(layers_[i].label + ": " + e.what());
    }
    layers_[i].output = shape;
    bind_attachments(layers_[i]);
  }
  output_shape_ = shape;
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
      init.set_owner(entry.label + " " + p->name + " initializer");
      auto initializer = registry.create_initializer(init);
      std::vector<double> values(static_cast<std::size_t>(p->value.numel()));
      initializer->generate(values, InitTarget{p->value.shape(), p->fan_in, p->fan_out}, random);
      from_host(p->value, values);
    }
  }
  built_ = true;
}

const Tensor& Model::forward(const Tensor& x) {
  if (!built_) throw Error("the model must be built before forward()");
  if (!(x.shape().without_batch() == input_shape_))
    throw ShapeError("model input has per-sample shape " + x.shape().without_batch().str() + ", the model expects " +
                     input_shape_.str());
  const Tensor* h = &x;
  if (penalty_values_.defined()) backend_->run(op::Fill{penalty_values_, 0.0});
  for (auto& entry : layers_) {
    h = &run_naming_layer(entry.label, "forward", [&]() -> const Tensor& { return entry.layer->forward(*h); });
    bool first = true;
    for (const auto& b : entry.bound) {
      if (b.parameter || b.regularizer->role() != RegularizerRole::Penalty || !training_) continue;
      if (first) backend_->run(op::Fill{ensure(entry.activity_grad, *backend_, h->shape(), dtype_), 0.0});
      first = false;
      b.regularizer->penalize(*h, entry.activity_grad, batch_share_ / static_cast<double>(h->dim(0)),
                              penalty_values_.rows(b.slot, b.slot + 1));
    }
    if (first) entry.activity_grad = Tensor();
  }
  return *h;
}

void Model::backward(const Tensor& dy, const std::function<void(std::size_t)>& layer_done) {
  const Tensor* g = &dy;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    // An activity penalty's gradient joins the gradient arriving at the layer's output. That gradient is the
    // next layer's input gradient (or the loss'), which nothing reads again, so it is updated in place.
    if (layers_[i].activity_grad.defined()) backend_->run(op::Axpby{layers_[i].activity_grad, *g, 1.0, 1.0});
    g = &run_naming_layer(layers_[i].label, "backward", [&]() -> const Tensor& { return layers_[i].layer->backward(*g, i > 0); });
    if (layer_done) layer_done(i);
  }
}

void Model::apply_penalties() {
  for (auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.parameter && b.regularizer->role() == RegularizerRole::Penalty)
        b.regularizer->penalize(b.parameter->value, b.parameter->grad, 1.0, penalty_values_.rows(b.slot, b.slot + 1));
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

bool Model::has_penalties() const {
  for (const auto& entry : layers_)
    for (const auto& a : entry.attachments)
      if (a.regularizer->role() == RegularizerRole::Penalty) return true;
  return false;
}

void Model::apply_constraints() {
  for (auto& entry : layers_)
    for (const auto& b : entry.bound)
      if (b.parameter && b.regularizer->role() == RegularizerRole::Constraint) b.regularizer->constrain(b.parameter->value);
}

void Model::set_training(bool training) {
  training_ = training;
  for (auto& entry : layers_) entry.layer->set_training(training);
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
  Tensor h = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i].layer->forward(h);
    visit(i, h);
  }
}

std::string Model::first_non_finite(const Tensor& x) {
  auto finite = [](const Tensor& t) {
    for (double v : to_host<double>(t))
      if (!std::isfinite(v)) return false;
    return true;
  };
  for (const auto& entry : layers_)
    for (Parameter* p : entry.layer->parameters())
      if (!finite(p->value)) return entry.label + " " + p->name;
  if (!finite(x)) return "the input batch";
  std::string where;
  forward_each(x, [&](std::size_t i, const Tensor& h) {
    if (where.empty() && !finite(h)) where = layers_[i].label + " output";
  });
  return where;
}

std::string Model::summary() const {
  std::ostringstream out;
  out << std::left << std::setw(28) << "layer" << std::setw(20) << "output shape" << "parameters\n";
  out << std::left << std::setw(28) << "input" << std::setw(20) << input_shape_.str() << "0\n";
  for (const auto& entry : layers_) {
    std::int64_t n = 0;
    for (Parameter* p : entry.layer->parameters()) n += p->value.numel();
    out << std::left << std::setw(28) << entry.label << std::setw(20) << entry.output.str() << n << "\n";
  }
  const auto trainable = parameter_count(true), total = parameter_count(false);
  out << "total parameters: " << total << " (trainable " << trainable << ", non-trainable " << total - trainable
      << ")\n";
  return out.str();
}

}  // namespace nnplug
