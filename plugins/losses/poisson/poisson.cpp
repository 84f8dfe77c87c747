// Loss 'poisson' (PyTorch PoissonNLLLoss): the negative log-likelihood of counts t under a Poisson law of rate λ,
//   λ - t log λ   (+ t log t - t + log(2π t) / 2 with "full": Stirling's term for log t!, taken where t > 1),
// the mean over every element. For a model of counts (events, clicks, photons) whose variance grows with their mean.
// "log_input" true (the default, PyTorch's) reads the outputs as log λ: exp(p) - t p, any output is a rate, and
// predict gives log rates. false reads them as λ itself: p - t log(p + eps), for a model that ends in softplus or
// exp; with eps 1e-7 it is Keras's Poisson. This plugin's op poisson_nll computes it (sample_loss_op.hpp).
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

struct PoissonLikelihood {
  bool log_input, full;
  double eps;
  explicit PoissonLikelihood(const OpAttributes& a) : log_input(a.flag("log_input")), full(a.flag("full")), eps(a.number("eps")) {}
  losses::ValueAndSlope operator()(double p, double t) const {
    if (!(t >= 0))
      throw InvalidArgument(fmt::format("poisson: a target is {}, but a Poisson law's counts are 0 or more", t));
    if (!log_input && !(p + eps > 0))
      throw InvalidArgument(fmt::format("poisson: an output is {}, but with \"log_input\": false the outputs are rates, above -eps ({}); end "
                                        "the model with softplus or exp, or keep \"log_input\": true",
                                        p, -eps));
    const double stirling = full && t > 1 ? t * std::log(t) - t + 0.5 * std::log(2 * std::numbers::pi * t) : 0.0;
    if (log_input) return {std::exp(p) - t * p + stirling, std::exp(p) - t};
    return {p - t * std::log(p + eps) + stirling, 1.0 - t / (p + eps)};
  }
};

// plugin-check's inputs as counts and, for log_input false, rates: the absolute values of its random normals.
void counts_and_rates(std::vector<HostTensor>& inputs, std::vector<HostTensor>&) {
  for (auto& input : inputs)
    for (double& v : input.values) v = std::abs(v) + 0.1;
}

}  // namespace

NNPLUG_PLUGIN("poisson", "0.1.0", "op:poisson_nll loss:poisson", 0) {
  auto op = losses::add_sample_loss_op<losses::ElementMean<PoissonLikelihood>>(
      registrar, "poisson_nll", {{"log_input", true}, {"full", false}, {"eps", 1e-8}}, counts_and_rates);
  registrar.add_loss("poisson", [op](const Params& p) -> std::unique_ptr<Loss> {
    const bool log_input = p.boolean("log_input", true), full = p.boolean("full", false);
    const double eps = p.number("eps", 1e-8, 0.0);
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("poisson", op, OutputLink::Identity,
                                                    BoundOp::NamedValues{{"log_input", log_input}, {"full", full}, {"eps", eps}});
  });
}
