// Loss 'mse' (PyTorch MSELoss): mean over every element of (prediction - target)^2.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("mse", "0.1.0", "loss:mse", 0) {
  registrar.add_loss("mse", [](const Params& p) {
    p.check_unused();
    return std::make_unique<ValueLoss>("mse", ElementwiseLossFn::SquaredError);
  });
}
