// Constraint 'max_norm' (Keras MaxNorm, Srivastava et al. 2014): after every update, each unit's incoming weights
// (a row of the [out, in] weight) are rescaled to a norm of at most max_value (2; the chapters use 2 and 1.5).
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MaxNorm final : public Regularizer {
 public:
  explicit MaxNorm(double max_value) : max_value_(max_value) {}
  std::string type() const override { return "max_norm"; }
  RegularizerRole role() const override { return RegularizerRole::Constraint; }
  void constrain(const Tensor& w) override { w.backend().run(op::RowNormConstraint{w, max_value_, false}); }

 private:
  double max_value_;
};

}  // namespace

NNPLUG_PLUGIN("max_norm", "0.1.0", "regularizer:max_norm", 0) {
  registrar.add_regularizer("max_norm", [](const Params& p) {
    const double max_value = p.number("max_value", 2.0, 0.0);
    if (!(max_value > 0)) p.fail("max_value", "must be > 0");
    p.check_unused();
    return std::make_unique<MaxNorm>(max_value);
  });
}
