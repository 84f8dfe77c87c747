// Gradient transform 'clip_norm' (torch.nn.utils.clip_grad_norm_): when the global 2-norm of all gradients exceeds
// max_norm, every gradient is scaled by max_norm / (norm + 1e-6). The norm never leaves the backend: one sum of
// squares per gradient, then op::ClipToNorm on each, so that a training step stays free of reads.

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class ClipNorm final : public GradientTransform {
 public:
  explicit ClipNorm(double max_norm) : max_norm_(max_norm) {}
  std::string type() const override { return "clip_norm"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t) override {
    if (parameters.empty()) return;
    const Tensor& first = parameters[0]->grad;
    Backend& be = first.backend();
    ensure(squares_, be, Shape{static_cast<std::int64_t>(parameters.size())}, first.dtype());
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const auto at = static_cast<std::int64_t>(i);
      be.run(op::SumSquares{parameters[i]->grad, squares_.rows(at, at + 1)});
    }
    for (Parameter* p : parameters) be.run(op::ClipToNorm{p->grad, squares_, max_norm_});
  }

 private:
  double max_norm_;
  Tensor squares_;
};

}  // namespace

NNPLUG_PLUGIN("clip_norm", "0.1.0", "gradient_transform:clip_norm", 0) {
  registrar.add_gradient_transform("clip_norm", [](const Params& p) {
    const double max_norm = p.require_number("max_norm", 0.0);
    if (!(max_norm > 0)) p.fail("max_norm", "must be > 0");
    p.check_unused();
    return std::make_unique<ClipNorm>(max_norm);
  });
}
