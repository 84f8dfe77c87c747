// Loss 'smooth_l1' (PyTorch SmoothL1Loss, Fast R-CNN's box regression loss): 0.5 d² / beta where |d| < beta, else
// |d| - 0.5 beta, the mean over every element; beta 1 (>= 0; 0 is mae). huber with delta = beta, divided by beta: its
// slope tends to 1 for large errors whatever beta is, where huber's is delta. This plugin's op smooth_l1_loss computes
// it (sample_loss_op.hpp), from smooth_l1_element.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"
#include "smooth_l1_element.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("smooth_l1", "0.1.0", "op:smooth_l1_loss loss:smooth_l1", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<losses::SmoothL1Element>>(registrar, "smooth_l1_loss", {{"beta", 1.0}});
  registrar.add_loss("smooth_l1", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double beta = p.number("beta", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("smooth_l1", op, OutputLink::Identity, BoundOp::NamedValues{{"beta", beta}});
  });
}
