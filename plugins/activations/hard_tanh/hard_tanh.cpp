// Activation 'hard_tanh' (PyTorch's Hardtanh, Keras's hard_tanh): x clamped to [min_val, max_val], -1 and 1 by
// default: tanh's shape in three straight pieces, cheap on small devices (and ReLU6 where they are 0 and 6). This
// plugin's ops hard_tanh and hard_tanh_grad compute it (element_activation_op.hpp), from hard_tanh_element.hpp on the
// CPU and the GPU alike.
#include <fmt/format.h>

#include "../shared/element_activation_op.hpp"
#include "hard_tanh_element.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("hard_tanh", "0.1.0", "op:hard_tanh op:hard_tanh_grad activation:hard_tanh", 0) {
  auto op = activations::add_element_activation_ops<activations::HardTanhElement>(registrar, "hard_tanh",
                                                                                  {{"min_val", -1.0}, {"max_val", 1.0}});
  registrar.add_activation("hard_tanh", [op](const Params& p) -> std::unique_ptr<Activation> {
    const double min_val = p.number("min_val", -1.0), max_val = p.number("max_val", 1.0);
    p.check_unused();
    if (!(min_val < max_val)) p.fail("max_val", fmt::format("must be above min_val ({}), got {}", min_val, max_val));
    return std::make_unique<OpActivation>("hard_tanh", op, OpActivation::Values{{"min_val", min_val}, {"max_val", max_val}});
  });
}
