// Activation 'mish' (torch.nn.Mish): y = x tanh(softplus(x)). An example of a plugin built outside nnplug's
// tree: it composes ops every backend has (softplus, tanh, multiply), so it runs on any backend unchanged.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Mish final : public Activation {
 public:
  std::string type() const override { return "mish"; }

  void forward(const Tensor& x, const Tensor& y) override {
    Backend& be = x.backend();
    ensure(t_, be, x.shape(), x.dtype());
    be.run(op::Activation{x, t_, Pointwise::Softplus, 1.0});  // t = softplus(x), beta 1
    be.run(op::Activation{t_, t_, Pointwise::Tanh});     // t = tanh(softplus(x)), kept for the backward pass
    be.run(op::Multiply{x, t_, y});
  }

  // dy/dx = t + x (1 - t^2) sigmoid(x), with t = tanh(softplus(x)) and sigmoid = softplus'.
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, const Tensor& dx) override {
    Backend& be = x.backend();
    ensure(u_, be, x.shape(), x.dtype());
    be.run(op::Multiply{x, dy, u_});                                         // u = x dy
    be.run(op::ActivationGrad{x, Tensor(), u_, u_, Pointwise::Softplus, 1.0});  // u = x dy sigmoid(x)
    be.run(op::ActivationGrad{Tensor(), t_, u_, u_, Pointwise::Tanh});       // u = x dy sigmoid(x) (1 - t^2)
    be.run(op::Multiply{dy, t_, dx});                                        // dx = dy t
    be.run(op::Axpby{u_, dx, 1.0, 1.0});                                     // dx += u
  }

 private:
  Tensor t_, u_;
};

}  // namespace

NNPLUG_PLUGIN("mish", "1.0.0", "activation:mish", 0) {
  registrar.add_activation("mish", [](const Params& p) {
    p.check_unused();
    return std::make_unique<Mish>();
  });
}
