// Loss 'cosine_similarity' (Keras's CosineSimilarity): minus the mean over samples of the cosine between each sample's
// outputs and its target, from -1 (same direction) to 1 (opposite), whatever their lengths: for embeddings, and for
// targets whose direction matters and whose scale does not. PyTorch: -cosine_similarity(p, t, dim=1, eps).mean();
// CosineEmbeddingLoss with every label 1 is this plus 1. Each norm is taken as at least eps (1e-8, PyTorch's), so a
// zero vector has cosine 0 rather than a division by zero. This plugin's op cosine_similarity_loss computes it
// (sample_loss_op.hpp), from
// negative_cosine.hpp on the CPU and the GPU alike.
#include "../shared/sample_loss_op.hpp"
#include "negative_cosine.hpp"
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("cosine_similarity", "0.1.0", "op:cosine_similarity_loss loss:cosine_similarity", 0) {
  auto op = losses::add_sample_loss_op<losses::NegativeCosine>(registrar, "cosine_similarity_loss", {{"eps", 1e-8}});
  registrar.add_loss("cosine_similarity", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double eps = p.number("eps", 1e-8, 0.0);
    p.check_unused();
    if (!(eps > 0)) p.fail("eps", "must be > 0");
    return std::make_unique<losses::SampleLossOnOp>("cosine_similarity", op, OutputLink::Identity, BoundOp::NamedValues{{"eps", eps}});
  });
}
