// Loss 'mape' (Keras's MeanAbsolutePercentageError): the mean of 100 |p - t| / |t|, each target taken at least 1e-7
// (Keras's epsilon) in size: the error in percent of the value, as forecasts are scored, so that large and small
// targets weigh alike. A target near 0 makes its element's loss and gradient huge; prefer msle or mae where targets
// reach 0. This plugin's op mape_loss computes it (sample_loss_op.hpp), from percentage_error.hpp on the CPU and the
// GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"
#include "percentage_error.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("mape", "0.1.0", "op:mape_loss loss:mape", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<losses::PercentageError>>(registrar, "mape_loss", {});
  registrar.add_loss("mape", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("mape", op, OutputLink::Identity, BoundOp::NamedValues{});
  });
}
