// Loss 'nll' (PyTorch's NLLLoss): the mean over samples of -log p_y, the outputs read as log-probabilities (a
// log_softmax activation's), the labels one-hot (class labels, which the trainer expands, or rows of value targets;
// a distribution gives -sum_j t_j log p_j, the cross-entropy). PyTorch's classic classifier head is log_softmax with
// nll, as its MNIST example; softmax_cross_entropy on logits is the same in one step. This plugin's op nll_loss
// computes it (sample_loss_op.hpp), from nll_row.hpp on the CPU and the GPU alike.
//
// class_weights (one per class, as softmax_cross_entropy's) weigh each class's term: a sample's loss is
// -sum_j w_j t_j log p_j, -w_y log p_y for a label as PyTorch's weight=, and the batch's the mean over its samples,
// as Keras's class_weight (PyTorch's "mean" divides by the batch's sum of w_y instead). The op needs nothing more:
// the target comes to it times the weights.
//
// Its link is the softmax: log-probabilities are logits (shifted by log sum e^z, which a softmax takes out again), so
// softmax(log p) = p gives predict and ensembles the probabilities, and value targets are read as
// softmax_cross_entropy's probabilities are: a distribution per sample or per step, scored by its most probable class.
#include <utility>
#include <vector>

#include "../shared/sample_loss_op.hpp"
#include "nll_row.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/standard_losses.hpp"

using namespace nnplug;

namespace {

class WeightedNll final : public losses::SampleLossOnOp {
 public:
  WeightedNll(OpHandle op, std::vector<double> weights)
      : SampleLossOnOp("nll", std::move(op), OutputLink::Softmax, BoundOp::NamedValues{}), weights_(std::move(weights)) {}
  void check(const Shape& prediction, std::int64_t num_classes) const override {
    SampleLossOnOp::check(prediction, num_classes);
    if (prediction.rank() != 1 || static_cast<std::size_t>(prediction[0]) != weights_.size())
      throw ShapeError(fmt::format("nll: class_weights has {} weights but the model outputs {} per sample; it takes one per class",
                                   weights_.size(), prediction.str()));
  }
  void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss, const Tensor& dprediction) override {
    Backend& backend = target.backend();
    if (!tiled_.defined() || tiled_.shape() != target.shape() || tiled_.dtype() != target.dtype() || &tiled_.backend() != &backend) {
      std::vector<double> rows;
      while (rows.size() < static_cast<std::size_t>(target.numel())) rows.insert(rows.end(), weights_.begin(), weights_.end());
      tiled_ = backend.empty(target.shape(), target.dtype());
      from_host(tiled_, rows);
      weighted_ = backend.empty(target.shape(), target.dtype());
    }
    backend.run(op::Multiply{target, tiled_, weighted_});
    SampleLossOnOp::compute(prediction, weighted_, loss, dprediction);
  }

 private:
  std::vector<double> weights_;
  Tensor tiled_, weighted_;  // the weights once per row of the last target's shape, and the target times them
};

}  // namespace

NNPLUG_PLUGIN("nll", "0.1.0", "op:nll_loss loss:nll", 0) {
  auto op = losses::add_sample_loss_op<losses::NegativeLogLikelihoodRow>(registrar, "nll_loss", {});
  registrar.add_loss("nll", [op](const Params& p) -> std::unique_ptr<Loss> {
    std::vector<double> weights = class_weights(p);
    p.check_unused();
    if (!weights.empty()) return std::make_unique<WeightedNll>(op, std::move(weights));
    return std::make_unique<losses::SampleLossOnOp>("nll", op, OutputLink::Softmax, BoundOp::NamedValues{});
  });
}
