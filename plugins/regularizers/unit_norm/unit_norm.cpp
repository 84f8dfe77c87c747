// Constraint 'unit_norm' (Keras UnitNorm): after every update, each unit's incoming weights have norm 1.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class UnitNorm final : public Regularizer {
 public:
  std::string type() const override { return "unit_norm"; }
  RegularizerRole role() const override { return RegularizerRole::Constraint; }
  void constrain(const Tensor& w) override { w.backend().run(op::RowNormConstraint{w, 1.0, true}); }
};

}  // namespace

NNPLUG_PLUGIN("unit_norm", "0.1.0", "regularizer:unit_norm", 0) {
  registrar.add_regularizer("unit_norm", [](const Params& p) {
    p.check_unused();
    return std::make_unique<UnitNorm>();
  });
}
