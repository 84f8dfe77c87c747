#pragma once
// Float64 gradient checks by centred differences, for layers, activations and losses: the analytic gradient a
// plugin computes against (f(v + h) - f(v - h)) / 2h for each coordinate (sampled when there are many).
// The verdict is the chapter's: relative error |a - n| / max(|a|, |n|) below 1e-7 is correct. The denominator
// is floored at 1e-3, so that a tiny gradient must instead agree to 1e-10 absolute: below that the difference
// is rounding noise of the objective, not the gradient.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnplug/activation.hpp"
#include "nnplug/layer.hpp"
#include "nnplug/loss.hpp"

namespace nnplug::conformance {

struct CheckResult {
  std::string check;      // what was checked, e.g. "dense gradient"
  bool passed = true;
  std::string detail;     // the worst coordinate, or the first coordinates that failed
  double worst_error = 0.0;
  int failures = 0;
  bool skipped = false;   // could not run here (a device backend without its device); detail says why
};

struct GradientCheckOptions {
  // Centred differences have O(h^2) truncation error and ~1e-16 |L| / h rounding error: both far below the
  // tolerance in float64 at h = 1e-5 (at 1e-6 the rounding term alone reached 1e-7 on small dense gradients).
  double step = 1e-5;
  double tolerance = 1e-7;
  std::size_t max_coordinates = 60;  // per tensor; spread evenly over it
  // Whether the input's gradient is checked: not where the input is no variable (an embedding's indices, which a
  // step off a whole number makes invalid).
  bool check_input = true;
};

// n values from N(0, 1), seeded.
std::vector<double> random_normal(std::size_t n, std::uint64_t seed);
// The values moved 0.05 away from zero, for functions with a kink there (relu).
std::vector<double> away_from_zero(std::vector<double> v);

// Builds `layer` in float64 for `sample` on `backend`, gives its parameters N(0, 1) values, runs prepare (to
// make some values valid or switch to eval mode), then checks dL/dx and dL/dparameter for every trainable
// parameter with L = sum(r * layer(x)) for a fixed random r. A merge layer (Layer::merges()) gets two inputs of
// the sample's shape.
CheckResult check_layer_gradient(Layer& layer, Backend& backend, const Shape& sample, std::int64_t batch,
                                 const std::vector<double>& x, const std::function<void(Layer&)>& prepare = {},
                                 const GradientCheckOptions& options = {});
// The same with one input per shape in `samples` (a merge layer's, which may differ: concat's), holding x[i].
CheckResult check_merge_gradient(Layer& layer, Backend& backend, const std::vector<Shape>& samples, std::int64_t batch,
                                 const std::vector<std::vector<double>>& x, const std::function<void(Layer&)>& prepare = {},
                                 const GradientCheckOptions& options = {});
// Compares `analytic` with centred differences of objective() over the coordinates of `values` (on the backend;
// objective() recomputes the loss from it), adding the verdict to `result` under the name `what`.
void compare_with_centred_differences(const Tensor& values, const std::vector<double>& analytic,
                                      const std::function<double()>& objective, const std::string& what,
                                      const GradientCheckOptions& options, CheckResult& result);
// The same for an activation, used as a layer.
CheckResult check_activation_gradient(std::shared_ptr<Activation> activation, Backend& backend, const Shape& sample,
                                      std::int64_t batch, const std::vector<double>& x, const GradientCheckOptions& options = {});
// dLoss/dprediction for predictions of `pred_shape` holding pred, against target (labels or values).
CheckResult check_loss_gradient(Loss& loss, Backend& backend, const Shape& pred_shape, const std::vector<double>& pred,
                                const Tensor& target, const GradientCheckOptions& options = {});

}  // namespace nnplug::conformance
