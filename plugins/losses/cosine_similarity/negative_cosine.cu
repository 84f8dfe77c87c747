// The loss cosine_similarity's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over NegativeCosine, the
// arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "negative_cosine.hpp"

namespace nnplug::losses {

template void mean_sample_loss_cuda<NegativeCosine, float>(const NegativeCosine&, const float*, const float*, float*, float*, std::int64_t,
                                                           std::int64_t, void*);
template void mean_sample_loss_cuda<NegativeCosine, double>(const NegativeCosine&, const double*, const double*, double*, double*, std::int64_t,
                                                            std::int64_t, void*);

}  // namespace nnplug::losses
