// Loss 'msle' (Keras's MeanSquaredLogarithmicError): the mean of (log(1 + p) - log(1 + t))², both taken at least
// 1e-7 (Keras's epsilon), for targets that span orders of magnitude (prices, counts, durations), where a miss by 10 %
// should cost alike at 10 and at 10,000 and an under-estimate a little more than an over-estimate. A prediction below
// the clamp has no gradient, as in Keras, so a model that ends in ReLU or softplus suits it. This plugin's op msle_loss
// computes it (sample_loss_op.hpp), from squared_log_error.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"
#include "squared_log_error.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("msle", "0.1.0", "op:msle_loss loss:msle", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<losses::SquaredLogError>>(registrar, "msle_loss", {});
  registrar.add_loss("msle", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("msle", op, OutputLink::Identity, BoundOp::NamedValues{});
  });
}
