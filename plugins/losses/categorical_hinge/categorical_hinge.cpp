// Loss 'categorical_hinge' (Keras's CategoricalHinge): the mean over samples of max(0, 1 + neg - pos), where pos is
// the score of the true class (sum_j t_j p_j on one-hot targets) and neg the largest score of another class
// (max_j (1 - t_j) p_j): Crammer and Singer's multiclass SVM loss, the true class asked to win by a margin of 1 over
// the best of the rest (hinge, PyTorch's MultiMarginLoss, sums or averages the misses over every other class).
// Targets are one-hot rows, or class labels, which the trainer expands; the outputs are class scores
// (OutputLink::Scores), so one-hot rows are scored by accuracy as labels are. This plugin's op categorical_hinge_loss
// computes it (sample_loss_op.hpp), from categorical_hinge_row.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "categorical_hinge_row.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("categorical_hinge", "0.1.0", "op:categorical_hinge_loss loss:categorical_hinge", 0) {
  auto op = losses::add_sample_loss_op<losses::CategoricalHingeRow>(registrar, "categorical_hinge_loss", {});
  registrar.add_loss("categorical_hinge", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("categorical_hinge", op, OutputLink::Scores, BoundOp::NamedValues{});
  });
}
