// Loss 'log_cosh' (Keras's LogCosh): the mean of log(cosh(p - t)), about d^2 / 2 for a small difference d and |d| - log 2
// for a large one, so that, like huber, an outlier pulls no harder than a fixed amount; unlike huber it is smooth
// everywhere and has no threshold to choose. Written as |d| + log1p(exp(-2 |d|)) - log 2, which cosh would overflow
// beyond |d| = 710; its derivative is tanh(d). This plugin's op log_cosh_loss computes it (sample_loss_op.hpp), from
// log_cosh_element.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "log_cosh_element.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("log_cosh", "0.1.0", "op:log_cosh_loss loss:log_cosh", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<losses::LogCoshElement>>(registrar, "log_cosh_loss", {});
  registrar.add_loss("log_cosh", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("log_cosh", op, OutputLink::Identity, BoundOp::NamedValues{});
  });
}
