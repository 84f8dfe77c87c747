// Loss 'mae' (PyTorch L1Loss): mean over every element of |prediction - target|.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("mae", "0.1.0", "loss:mae", 0) {
  registrar.add_loss("mae", [](const Params& p) {
    p.check_unused();
    return std::make_unique<ValueLoss>("mae", ElementwiseLossFn::AbsoluteError);
  });
}
