// Loss 'hinge', the multiclass SVM (PyTorch MultiMarginLoss, p = 1):
// sum over j != y of max(0, margin - z_y + z_j), margin 1. class_reduction "mean" divides by the number of classes
// as PyTorch does; "sum" is the Weston-Watkins form of the textbook. class_weights weigh each sample by its label.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("hinge", "0.1.0", "loss:hinge", 0) {
  registrar.add_loss("hinge", [](const Params& p) {
    const double margin = p.number("margin", 1.0, 0.0);
    const bool mean = mean_over_classes(p);
    std::vector<double> weights = class_weights(p);
    p.check_unused();
    return std::make_unique<ClassIndexLoss>("hinge", ClassLossFn::Hinge, margin, mean, 0.0, std::move(weights));
  });
}
