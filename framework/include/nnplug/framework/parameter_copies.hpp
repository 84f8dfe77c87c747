#pragma once
// Copies of a model's trainable parameters on its backend, which a callback averages the weights into and a
// checkpoint keeps: the moving average (ema), the stochastic weight average (swa).
#include <vector>

#include "nnplug/framework/model.hpp"

namespace nnplug {

// Throws InvalidArgument unless `weights` holds one vector per parameter of `params`, each of its size.
void check_kept_weights(const std::vector<std::vector<double>>& weights, const std::vector<Parameter*>& params);

class ParameterCopies {
 public:
  bool empty() const { return copies_.empty(); }
  // copies = the model's trainable weights (allocated at the first call).
  void copy_from(const Model& model);
  // copies = keep * copies + (1 - keep) * the model's trainable weights.
  void blend(const Model& model, double keep);
  void put_into(Model& model) const;
  std::vector<std::vector<double>> to_host() const;
  // From to_host()'s values, checked against the model; none leaves no copies.
  void restore(const std::vector<std::vector<double>>& weights, const Model& model);

 private:
  std::vector<Tensor> copies_;  // one per trainable parameter, in Model::parameters(true) order
};

}  // namespace nnplug
