// Activation 'exponential' (Keras's exponential): e^x, a positive output of any size, as a rate or a scale read
// from a linear layer (Poisson rates with "log_input": false, a variance). It overflows to infinity above x = 709
// (88 in float32). This plugin's ops exponential and exponential_grad compute it (element_activation_op.hpp), from
// exponential_element.hpp on the CPU and the GPU alike.
#include "../shared/element_activation_op.hpp"
#include "exponential_element.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("exponential", "0.1.0", "op:exponential op:exponential_grad activation:exponential", 0) {
  auto op = activations::add_element_activation_ops<activations::ExponentialElement>(registrar, "exponential");
  registrar.add_activation("exponential", [op](const Params& p) -> std::unique_ptr<Activation> {
    p.check_unused();
    return std::make_unique<OpActivation>("exponential", op);
  });
}
