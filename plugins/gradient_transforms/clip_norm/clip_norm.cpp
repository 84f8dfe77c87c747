// Gradient transform 'clip_norm' (torch.nn.utils.clip_grad_norm_): when the global 2-norm of all gradients exceeds
// max_norm, every gradient is scaled by max_norm / (norm + 1e-6).
#include <cmath>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class ClipNorm final : public GradientTransform {
 public:
  explicit ClipNorm(double max_norm) : max_norm_(max_norm) {}
  std::string type() const override { return "clip_norm"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t) override {
    double total = 0;
    for (Parameter* p : parameters) {
      Backend& be = p->grad.backend();
      if (!sum_.defined() || &sum_.backend() != &be) sum_ = be.empty(Shape{1}, DType::Float64);
      be.run(op::SumSquares{p->grad, sum_});
      total += to_host<double>(sum_)[0];
    }
    const double norm = std::sqrt(total);
    if (norm <= max_norm_) return;
    const double scale = max_norm_ / (norm + 1e-6);
    for (Parameter* p : parameters) p->grad.backend().run(op::Axpby{p->grad, p->grad, scale, 0.0});
  }

 private:
  double max_norm_;
  Tensor sum_;
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
