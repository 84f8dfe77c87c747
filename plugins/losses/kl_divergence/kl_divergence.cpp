// Loss 'kl_divergence': the Kullback-Leibler divergence of the softmax of the outputs from target distributions,
//   L = T^2 / N sum_n sum_c t_nc (log t_nc - log softmax(z_n / T)_c),   dL/dz_nc = T (softmax(z_n / T)_c sum_k t_nk - t_nc) / N,
// with 0 log 0 = 0: PyTorch's KLDivLoss(reduction="batchmean") of log_softmax(z / T), times T^2. The outputs are logits,
// as softmax_cross_entropy's; the targets are a distribution per sample, such as a teacher's softmax at the same
// temperature T ("temperature", 1 by default): Hinton et al.'s knowledge distillation, whose T^2 keeps the gradient's
// scale as T changes. It differs from softmax_cross_entropy with "targets": "probabilities" by the targets' entropy, a
// constant: the same gradient, and a loss that is 0 where the model matches its targets. This plugin's op
// kl_divergence_loss computes it (sample_loss_op.hpp), from softmax_divergence.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"
#include "softmax_divergence.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("kl_divergence", "0.1.0", "op:kl_divergence_loss loss:kl_divergence", 0) {
  const auto targets_as_distributions = [](std::vector<HostTensor>& inputs, std::vector<HostTensor>&) { losses::as_distributions(inputs[1]); };
  auto op = losses::add_sample_loss_op<losses::SoftmaxDivergence>(registrar, "kl_divergence_loss", {{"temperature", 1.0}}, targets_as_distributions);
  registrar.add_loss("kl_divergence", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double temperature = p.number("temperature", 1.0, 1e-3, 1e3);
    p.check_unused();
    return std::make_unique<losses::SampleLossOnOp>("kl_divergence", op, OutputLink::Softmax,
                                                    BoundOp::NamedValues{{"temperature", temperature}});
  });
}
