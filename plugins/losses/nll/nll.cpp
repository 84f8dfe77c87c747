// Loss 'nll' (PyTorch's NLLLoss): the mean over samples of -log p_y, the outputs read as log-probabilities (a
// log_softmax activation's), the labels one-hot (class labels, which the trainer expands, or rows of value targets;
// a distribution gives -sum_j t_j log p_j, the cross-entropy). PyTorch's classic classifier head is log_softmax with
// nll, as its MNIST example; softmax_cross_entropy on logits is the same in one step. This plugin's op nll_loss
// computes it (sample_loss_op.hpp), from nll_row.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nll_row.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("nll", "0.1.0", "op:nll_loss loss:nll", 0) {
  auto op = losses::add_sample_loss_op<losses::NegativeLogLikelihoodRow>(registrar, "nll_loss", {});
  registrar.add_loss("nll", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("nll", op, OutputLink::Identity, BoundOp::NamedValues{});
  });
}
