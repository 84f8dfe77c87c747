// Loss 'multilabel_sigmoid' (PyTorch MultiLabelSoftMarginLoss): an independent logistic loss per attribute
// -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], averaged over attributes and the batch. Targets are 0/1
// vectors (one-hot rows when the data has class labels). pos_weight (one per attribute) weighs each attribute's
// positive term as BCEWithLogitsLoss's pos_weight does, for attributes that are rarely present.
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("multilabel_sigmoid", "0.1.0", "loss:multilabel_sigmoid", 0) {
  registrar.add_loss("multilabel_sigmoid", [](const Params& p) {
    std::vector<double> weights = pos_weight(p);
    p.check_unused();
    return std::make_unique<ValueLoss>("multilabel_sigmoid", ElementwiseLossFn::BceWithLogits, 1.0, std::move(weights));
  });
}
