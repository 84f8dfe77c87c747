// Activation 'squareplus' (Barron 2021, Keras's squareplus): (x + sqrt(x² + b)) / 2, b 4 (>= 0): softplus's shape
// from a square root instead of an exponential and a logarithm, ReLU at b = 0. This plugin's ops squareplus and
// squareplus_grad compute it (element_activation_op.hpp), from squareplus_element.hpp on the CPU and the GPU alike.
#include "../shared/element_activation_op.hpp"
#include "nnplug/plugin.hpp"
#include "squareplus_element.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("squareplus", "0.1.0", "op:squareplus op:squareplus_grad activation:squareplus", 0) {
  auto op = activations::add_element_activation_ops<activations::SquareplusElement>(registrar, "squareplus", {{"b", 4.0}});
  registrar.add_activation("squareplus", [op](const Params& p) -> std::unique_ptr<Activation> {
    const double b = p.number("b", 4.0, 0.0);
    p.check_unused();
    return std::make_unique<OpActivation>("squareplus", op, OpActivation::Values{{"b", b}});
  });
}
