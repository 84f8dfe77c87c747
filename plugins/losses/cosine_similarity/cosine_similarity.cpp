// Loss 'cosine_similarity' (Keras's CosineSimilarity): minus the mean over samples of the cosine between each sample's
// outputs and its target, from -1 (same direction) to 1 (opposite), whatever their lengths: for embeddings, and for
// targets whose direction matters and whose scale does not. PyTorch: -cosine_similarity(p, t, dim=1, eps).mean();
// CosineEmbeddingLoss with every label 1 is this plus 1. Each norm is taken as at least eps (1e-8, PyTorch's), so a
// zero vector has cosine 0 rather than a division by zero. This plugin's op cosine_similarity_loss computes it
// (sample_loss_op.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../shared/sample_loss_op.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

struct NegativeCosine {
  double eps;
  explicit NegativeCosine(const OpAttributes& a) : eps(a.number("eps")) {}
  // d cos / dp_j = t_j / (|p| |t|) - cos p_j / |p|^2, the second term only where |p| is above eps (below, |p| is the
  // constant eps).
  template <typename T>
  double operator()(const T* p, const T* t, T* dp, std::int64_t c, double weight) const {
    double dot = 0.0, pp = 0.0, tt = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      const double pj = static_cast<double>(p[j]), tj = static_cast<double>(t[j]);
      dot += pj * tj, pp += pj * pj, tt += tj * tj;
    }
    const double p_norm = std::sqrt(pp), norms = std::max(p_norm, eps) * std::max(std::sqrt(tt), eps);
    const double cosine = dot / norms, radial = p_norm > eps ? cosine / pp : 0.0;
    for (std::int64_t j = 0; j < c; ++j)
      dp[j] = static_cast<T>(-weight * (static_cast<double>(t[j]) / norms - radial * static_cast<double>(p[j])));
    return -cosine;
  }
};

}  // namespace

NNPLUG_PLUGIN("cosine_similarity", "0.1.0", "op:cosine_similarity_loss loss:cosine_similarity", 0) {
  auto op = losses::add_sample_loss_op<NegativeCosine>(registrar, "cosine_similarity_loss", {{"eps", 1e-8}});
  registrar.add_loss("cosine_similarity", [op](const Params& p) -> std::unique_ptr<Loss> {
    const double eps = p.number("eps", 1e-8, 0.0);
    p.check_unused();
    if (!(eps > 0)) p.fail("eps", "must be > 0");
    return std::make_unique<losses::SampleLossOnOp>("cosine_similarity", op, OutputLink::Identity, BoundOp::NamedValues{{"eps", eps}});
  });
}
