// A plugin that loads fine but whose activation has a wrong backward pass (twice relu's): plugin-check must fail it.
#include "nnplug/plugin.hpp"

namespace {

class WrongGradient final : public nnplug::Activation {
 public:
  std::string type() const override { return "wrong_gradient"; }
  void forward(const nnplug::Tensor& x, const nnplug::Tensor& y) override { x.backend().run(nnplug::op::Activation{x, y, nnplug::Pointwise::Relu}); }
  void backward(const nnplug::Tensor& x, const nnplug::Tensor& y, const nnplug::Tensor& dy, const nnplug::Tensor& dx) override {
    x.backend().run(nnplug::op::ActivationGrad{x, y, dy, dx, nnplug::Pointwise::Relu});
    x.backend().run(nnplug::op::Axpby{dx, dx, 2.0, 0.0});
  }
};

}  // namespace

NNPLUG_PLUGIN("wrong_gradient", "1.0.0", "activation:wrong_gradient", 0) {
  registrar.add_activation("wrong_gradient", [](const nnplug::Params&) { return std::make_unique<WrongGradient>(); });
}
