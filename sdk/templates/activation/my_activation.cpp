// Template activation 'my_activation': y = a tanh(b x), LeCun's scaled tanh (a = 1.7159, b = 2/3). Built from
// ops every backend runs (op::Axpby, op::Activation, op::ActivationGrad), so it runs on any backend.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyActivation final : public Activation {
 public:
  MyActivation(double a, double b) : a_(a), b_(b) {}
  std::string type() const override { return "my_activation"; }

  void forward(const Tensor& x, const Tensor& y) override {
    Backend& be = x.backend();
    ensure(t_, be, x.shape(), x.dtype());
    be.run(op::Axpby{x, t_, b_, 0.0});              // t = b x
    be.run(op::Activation{t_, t_, Pointwise::Tanh});  // t = tanh(b x), kept for backward
    be.run(op::Axpby{t_, y, a_, 0.0});              // y = a t
  }
  // dy/dx = a b (1 - t^2).
  void backward(const Tensor&, const Tensor&, const Tensor& dy, const Tensor& dx) override {
    Backend& be = dy.backend();
    be.run(op::ActivationGrad{Tensor(), t_, dy, dx, Pointwise::Tanh});  // dx = dy (1 - t^2)
    be.run(op::Axpby{dx, dx, a_ * b_, 0.0});
  }

 private:
  double a_, b_;
  Tensor t_;
};

}  // namespace

// The info record: the library's name and version, and every "kind:name" it registers.
NNPLUG_PLUGIN("my_activation", "0.1.0", "activation:my_activation", 0) {
  registrar.add_activation("my_activation", [](const Params& p) {
    const double a = p.number("a", 1.7159), b = p.number("b", 2.0 / 3.0);
    p.check_unused();  // a misspelt parameter is an error listing a and b
    return std::make_unique<MyActivation>(a, b);
  });
}
