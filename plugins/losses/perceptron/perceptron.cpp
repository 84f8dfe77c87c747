// Loss 'perceptron', the perceptron criterion: max(0, -y z) with y = +1 for label 1 and -1 for label 0, mean
// over the batch. One output unit, two classes.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("perceptron", "0.1.0", "loss:perceptron", 0) {
  registrar.add_loss("perceptron", [](const Params& p) {
    p.check_unused();
    return std::make_unique<ValueLoss>("perceptron", ElementwiseLossFn::Perceptron);
  });
}
