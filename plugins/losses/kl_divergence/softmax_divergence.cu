// The loss kl_divergence's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over SoftmaxDivergence, the
// arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "softmax_divergence.hpp"

namespace nnplug::losses {

template void mean_sample_loss_cuda<SoftmaxDivergence, float>(const SoftmaxDivergence&, const float*, const float*, float*, float*, std::int64_t,
                                                              std::int64_t, void*);
template void mean_sample_loss_cuda<SoftmaxDivergence, double>(const SoftmaxDivergence&, const double*, const double*, double*, double*, std::int64_t,
                                                               std::int64_t, void*);

}  // namespace nnplug::losses
