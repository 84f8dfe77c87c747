// Activation 'threshold' (PyTorch's Threshold, Keras's threshold): x where x > threshold, else value, both required
// (PyTorch's are): ReLU is threshold 0, value 0. This plugin's ops threshold and threshold_grad compute it
// (element_activation_op.hpp), from threshold_element.hpp on the CPU and the GPU alike.
#include "../shared/element_activation_op.hpp"
#include "nnplug/plugin.hpp"
#include "threshold_element.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("threshold", "0.1.0", "op:threshold op:threshold_grad activation:threshold", 0) {
  auto op = activations::add_element_activation_ops<activations::ThresholdElement>(registrar, "threshold", {{"threshold", 0.0}, {"value", 0.0}});
  registrar.add_activation("threshold", [op](const Params& p) -> std::unique_ptr<Activation> {
    const double threshold = p.require_number("threshold"), value = p.require_number("value");
    p.check_unused();
    return std::make_unique<OpActivation>("threshold", op, OpActivation::Values{{"threshold", threshold}, {"value", value}});
  });
}
