#include "nnplug/framework/gradient_accumulator.hpp"

namespace nnplug {

GradientAccumulator::GradientAccumulator(Model& model) : model_(model), sums_(model.size()) {
  Backend& be = model.backend();
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters())
      if (p->trainable) sums_[i].push_back({p, be.empty(p->value.shape(), p->value.dtype(), p->value.layout())});
}

void GradientAccumulator::add(bool start) {
  for (const auto& node : sums_)
    for (const Sum& s : node) model_.backend().run(op::Axpby{s.parameter->grad, s.sum, 1.0, start ? 0.0 : 1.0});
}

void GradientAccumulator::add_to_gradients(std::size_t node) {
  for (const Sum& s : sums_[node]) model_.backend().run(op::Axpby{s.sum, s.parameter->grad, 1.0, 1.0});
}

void GradientAccumulator::add_to_gradients() {
  for (std::size_t i = 0; i < sums_.size(); ++i) add_to_gradients(i);
}

void GradientAccumulator::copy_to_gradients() {
  for (const auto& node : sums_)
    for (const Sum& s : node) model_.backend().run(op::Axpby{s.sum, s.parameter->grad, 1.0, 0.0});
}

}  // namespace nnplug
