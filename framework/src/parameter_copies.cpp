#include "nnplug/framework/parameter_copies.hpp"

#include <fmt/format.h>

namespace nnplug {

void check_kept_weights(const std::vector<std::vector<double>>& weights, const std::vector<Parameter*>& params) {
  if (weights.size() != params.size())
    throw InvalidArgument(fmt::format("it keeps {} weight tensors, the model has {} parameters", weights.size(), params.size()));
  for (std::size_t i = 0; i < params.size(); ++i)
    if (static_cast<std::int64_t>(weights[i].size()) != params[i]->value.numel())
      throw InvalidArgument(fmt::format("its weight tensor {} holds {} values, parameter {} has {}", i, weights[i].size(), params[i]->name,
                                        params[i]->value.numel()));
}

void ParameterCopies::copy_from(const Model& model) {
  const auto params = model.parameters(true);
  Backend& be = model.backend();
  if (copies_.empty())
    for (const Parameter* p : params) copies_.push_back(be.empty(p->value.shape(), p->value.dtype()));
  for (std::size_t i = 0; i < params.size(); ++i) be.run(op::Copy{params[i]->value, copies_[i]});
}

void ParameterCopies::blend(const Model& model, double keep) {
  const auto params = model.parameters(true);
  for (std::size_t i = 0; i < params.size(); ++i) model.backend().run(op::Axpby{params[i]->value, copies_[i], 1.0 - keep, keep});
}

void ParameterCopies::put_into(Model& model) const {
  const auto params = model.parameters(true);
  for (std::size_t i = 0; i < copies_.size() && i < params.size(); ++i) model.backend().run(op::Copy{copies_[i], params[i]->value});
}

std::vector<std::vector<double>> ParameterCopies::to_host() const {
  std::vector<std::vector<double>> out;
  for (const Tensor& t : copies_) out.push_back(nnplug::to_host<double>(t));
  return out;
}

void ParameterCopies::restore(const std::vector<std::vector<double>>& weights, const Model& model) {
  const auto params = model.parameters(true);
  copies_.clear();
  if (weights.empty()) return;
  check_kept_weights(weights, params);
  for (std::size_t i = 0; i < params.size(); ++i) {
    copies_.push_back(model.backend().empty(params[i]->value.shape(), params[i]->value.dtype()));
    from_host(copies_.back(), weights[i]);
  }
}

}  // namespace nnplug
