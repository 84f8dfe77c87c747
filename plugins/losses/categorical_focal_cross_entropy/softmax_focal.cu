// The loss categorical_focal_cross_entropy's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh)
// over SoftmaxFocal, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "softmax_focal.hpp"

namespace nnplug::losses {

template void mean_sample_loss_cuda<SoftmaxFocal, float>(const SoftmaxFocal&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<SoftmaxFocal, double>(const SoftmaxFocal&, const double*, const double*, double*, double*, std::int64_t, std::int64_t,
                                                          void*);

}  // namespace nnplug::losses
