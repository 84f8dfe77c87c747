// Template optimizer 'my_optimizer': SGD with momentum written on StatefulOptimizer, which keeps the learning
// rate, the step count and the per-parameter state a checkpoint saves ("momentum_buffer", as torch.optim names
// it). The update is v = momentum v + g; w = w - lr v, as backend ops.
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"

namespace {

using namespace nnplug;

class MyOptimizer final : public StatefulOptimizer {
 public:
  MyOptimizer(double lr, double momentum) : StatefulOptimizer("my_optimizer", lr, {"momentum_buffer"}), momentum_(momentum) {}

 protected:
  void update(std::size_t i, Parameter& p) override {
    const Tensor& v = slot(0, i);
    p.value.backend().run(op::Axpby{p.grad, v, 1.0, momentum_});  // v = momentum v + g
    p.value.backend().run(op::Axpby{v, p.value, -lr_, 1.0});       // w -= lr v
  }

 private:
  double momentum_;
};

}  // namespace

NNPLUG_PLUGIN("my_optimizer", "0.1.0", "optimizer:my_optimizer", 0) {
  registrar.add_optimizer("my_optimizer", [](const Params& p) {
    const double lr = p.require_number("lr", 0.0), momentum = p.number("momentum", 0.9, 0.0, 1.0);
    p.check_unused();
    return std::make_unique<MyOptimizer>(lr, momentum);
  });
}
