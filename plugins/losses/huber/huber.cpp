// Loss 'huber' (PyTorch HuberLoss): 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); delta 1.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("huber", "0.1.0", "loss:huber", 0) {
  registrar.add_loss("huber", [](const Params& p) {
    const double delta = p.number("delta", 1.0, 0.0);
    if (!(delta > 0)) p.fail("delta", "must be > 0");
    p.check_unused();
    return std::make_unique<ValueLoss>("huber", ElementwiseLossFn::Huber, delta);
  });
}
