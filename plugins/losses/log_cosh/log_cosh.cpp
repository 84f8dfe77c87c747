// Loss 'log_cosh' (Keras's LogCosh): the mean of log(cosh(p - t)), about d^2 / 2 for a small difference d and |d| - log 2
// for a large one, so that, like huber, an outlier pulls no harder than a fixed amount; unlike huber it is smooth
// everywhere and has no threshold to choose. Written as |d| + log1p(exp(-2 |d|)) - log 2, which cosh would overflow
// beyond |d| = 710; its derivative is tanh(d). This plugin's op log_cosh_loss computes it (sample_loss_op.hpp).
#include <cmath>
#include <numbers>
#include <utility>

#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

struct LogCosh {
  explicit LogCosh(const OpAttributes&) {}
  std::pair<double, double> operator()(double p, double t) const {
    const double d = p - t, a = std::abs(d);
    return {a + std::log1p(std::exp(-2.0 * a)) - std::numbers::ln2, std::tanh(d)};
  }
};

}  // namespace

NNPLUG_PLUGIN("log_cosh", "0.1.0", "op:log_cosh_loss loss:log_cosh", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<LogCosh>>(registrar, "log_cosh_loss", {});
  registrar.add_loss("log_cosh", [op](const Params& p) -> std::unique_ptr<Loss> {
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("log_cosh", op, OutputLink::Identity, BoundOp::NamedValues{});
  });
}
