#pragma once
// The chapter's gradient check on a whole model: the analytic gradient of the loss (backpropagation) against
// centred differences (f(w + h) - f(w - h)) / 2h for a few coordinates of every parameter tensor, on a few
// samples, in float64. A coordinate whose error is above "ok with kinks" at h is measured again at h/10 and h/100:
// a kink crossed within h (ReLU, max pooling, a hinge) gives an error that shrinks with h, a wrong gradient one
// that stays (the chapter tells the reader to try a smaller h by hand). One still above it is set against the
// one-sided derivatives: on a kink at the point itself, backpropagation gives one of them. Where both gradients
// are within the centred difference's rounding of 0 (about 4 eps |f| / h), they agree. The relative error is |a - n| / max(|a|, |n|), 0 when both are 0, and the verdict uses the
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
  double worst_step = 0.0;           // the h of that numeric gradient
  std::int64_t kinks_crossed = 0;    // coordinates above "ok with kinks" at h that fell within it at a smaller h
  std::int64_t at_a_kink = 0;        // coordinates on a kink, whose analytic gradient is a one-sided derivative
  std::int64_t within_rounding = 0;  // coordinates where both gradients are within the centred difference's rounding of 0
  std::int64_t unresolved = 0;       // coordinates whose gradients agree within the centred difference's own error
  double largest_gradient = 0.0;     // max |analytic| over the checked coordinates (tiny values are not telling)
};

// The chapter's bands: "pass" (<= 1e-7), "ok with kinks" (< 1e-4: fine for ReLU, max pooling or hinge losses,
// too high for smooth functions), "suspicious" (< 1e-2), "wrong".
std::string gradient_verdict(double relative_error);

// model: built in float64, in the mode to check (training mode with dropout layers switched to eval). data: the samples (labels as the trainer feeds them to the loss).
// Leaves the parameters as they were.
std::vector<TensorCheck> check_model_gradients(Model& model, Loss& loss, const Dataset& data, const GradientCheckSettings& settings = {});

}  // namespace nnplug
