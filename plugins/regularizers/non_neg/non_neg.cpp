// Constraint 'non_neg' (Keras NonNeg): after every update, negative weights are set to 0.
#include <limits>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class NonNeg final : public Regularizer {
 public:
  std::string type() const override { return "non_neg"; }
  RegularizerRole role() const override { return RegularizerRole::Constraint; }
  void constrain(const Tensor& w) override { w.backend().run(op::Clamp{w, 0.0, std::numeric_limits<double>::infinity()}); }
};

}  // namespace

NNPLUG_PLUGIN("non_neg", "0.1.0", "regularizer:non_neg", 0) {
  registrar.add_regularizer("non_neg", [](const Params& p) {
    p.check_unused();
    return std::make_unique<NonNeg>();
  });
}
