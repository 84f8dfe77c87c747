// Loss 'squared_hinge' (PyTorch MultiMarginLoss, p = 2): sum over j != y of max(0, margin - z_y + z_j)^2.
// class_reduction and class_weights as for 'hinge'.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("squared_hinge", "0.1.0", "loss:squared_hinge", 0) {
  registrar.add_loss("squared_hinge", [](const Params& p) {
    const double margin = p.number("margin", 1.0, 0.0);
    const bool mean = mean_over_classes(p);
    std::vector<double> weights = class_weights(p);
    p.check_unused();
    return std::make_unique<ClassIndexLoss>("squared_hinge", ClassLossFn::SquaredHinge, margin, mean, 0.0, std::move(weights));
  });
}
