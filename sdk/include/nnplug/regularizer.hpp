#pragma once
// Regularizer: attached in a spec to one parameter of a layer ("weight_regularizer", "bias_constraint") or to its
// output ("activity_regularizer"). A penalty adds to the batch's mean loss and its gradient to the parameter's;
// a constraint projects the parameter after every optimizer step.
#include <string>

#include "nnplug/backend.hpp"
#include "nnplug/export.hpp"

namespace nnplug {

enum class RegularizerRole { Penalty, Constraint };

class NNPLUG_API Regularizer {
 public:
  virtual ~Regularizer() = default;
  virtual std::string type() const = 0;
  virtual RegularizerRole role() const = 0;
  // Penalty: adds scale * dP/dw into grad and writes scale * P(w) into value, a one-element tensor of w's dtype
  // on w's backend. scale is 1 for a parameter and 1 / N for an activity (a mean over the batch). Nothing may be
  // read back: this runs inside a training step, which a device backend replays as a whole (Backend::run_step).
  virtual void penalize(const Tensor& w, const Tensor& grad, double scale, const Tensor& value) {
    (void)w, (void)grad, (void)scale, (void)value;
  }
  // Constraint: projects w in place.
  virtual void constrain(const Tensor& w) { (void)w; }
};

}  // namespace nnplug
