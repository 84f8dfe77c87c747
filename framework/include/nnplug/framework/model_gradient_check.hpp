#pragma once
// The chapter's gradient check on a whole model: the analytic gradient of the loss (backpropagation) against
// centred differences (f(w + h) - f(w - h)) / 2h for a few coordinates of every parameter tensor, on a few
// samples, in float64. The relative error is |a - n| / max(|a|, |n|), 0 when both are 0, and the verdict uses the
// chapter's bands. Run it on a model without stochastic layers (dropout off): each evaluation must see the same
// function.
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/loss.hpp"

namespace nnplug {

struct GradientCheckSettings {
  double step = 1e-5;                // h; the chapter suggests 1e-4 or 1e-6 when a check fails at 1e-5
  std::int64_t coordinates = 10;     // per parameter tensor, spread evenly over it
  bool regularization = true;        // include the penalties (weight decay, activity regularizers)
};

struct TensorCheck {
  std::string layer, parameter;      // e.g. "layers[0] (dense)", "weight"
  std::int64_t checked = 0;          // coordinates compared
  double worst_error = 0.0;          // the largest relative error
  std::int64_t worst_index = 0;      // its coordinate
  double analytic = 0.0, numeric = 0.0;  // the gradients at that coordinate
  double largest_gradient = 0.0;     // max |analytic| over the checked coordinates (tiny values are not telling)
};

// The chapter's bands: "pass" (<= 1e-7), "ok with kinks" (< 1e-4: fine for ReLU, max pooling or hinge losses,
// too high for smooth functions), "suspicious" (< 1e-2), "wrong".
std::string gradient_verdict(double relative_error);

// model: built in float64, in the mode to check (training mode with dropout layers switched to eval). data: the samples (labels as the trainer feeds them to the loss).
// Leaves the parameters as they were.
std::vector<TensorCheck> check_model_gradients(Model& model, Loss& loss, const Dataset& data, const GradientCheckSettings& settings = {});

}  // namespace nnplug
