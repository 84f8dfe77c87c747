// Loss 'attribute_hinge': a binary SVM per output, max(0, margin - y z) averaged over outputs and the batch, where
// y = +1 for a target above 0 and -1 otherwise. The chapter's attribute hinge (labels +1 and -1, one margin per
// attribute) and Keras's "hinge" (whose 0 and 1 labels are read as -1 and +1); the multiclass SVM is 'hinge'.
// One output for two classes, or one per label: a label is predicted where its output is positive.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("attribute_hinge", "0.1.0", "loss:attribute_hinge", 0) {
  registrar.add_loss("attribute_hinge", [](const Params& p) {
    const double margin = p.number("margin", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<ValueLoss>("attribute_hinge", ElementwiseLossFn::Hinge, margin);
  });
}
