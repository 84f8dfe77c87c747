// Template regularizer 'my_regularizer': the penalty lambda / 2 sum w^2, which adds lambda w to the gradient.
// Attach it to a layer's parameter in a spec: "weight_regularizer": {"type": "my_regularizer", "lambda": 1e-4}.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyRegularizer final : public Regularizer {
 public:
  explicit MyRegularizer(double lambda) : lambda_(lambda) {}
  std::string type() const override { return "my_regularizer"; }
  RegularizerRole role() const override { return RegularizerRole::Penalty; }

  // Adds scale dP/dw to grad and writes scale P(w) into value, all on the backend (nothing is read back).
  void penalize(const Tensor& w, const Tensor& grad, double scale, const Tensor& value) override {
    Backend& be = w.backend();
    be.run(op::SumSquares{w, value});
    be.run(op::Axpby{value, value, scale * 0.5 * lambda_, 0.0});
    be.run(op::Axpby{w, grad, scale * lambda_, 1.0});
  }

 private:
  double lambda_;
};

}  // namespace

NNPLUG_PLUGIN("my_regularizer", "0.1.0", "regularizer:my_regularizer", 0) {
  registrar.add_regularizer("my_regularizer", [](const Params& p) {
    const double lambda = p.require_number("lambda", 0.0);
    p.check_unused();
    return std::make_unique<MyRegularizer>(lambda);
  });
}
