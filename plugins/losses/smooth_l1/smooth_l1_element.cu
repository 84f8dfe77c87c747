// The loss smooth_l1's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over the mean of
// SmoothL1Element, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "smooth_l1_element.hpp"

namespace nnplug::losses {

using SmoothL1 = ElementMean<SmoothL1Element>;
template void mean_sample_loss_cuda<SmoothL1, float>(const SmoothL1&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<SmoothL1, double>(const SmoothL1&, const double*, const double*, double*, double*, std::int64_t, std::int64_t,
                                                      void*);

}  // namespace nnplug::losses
