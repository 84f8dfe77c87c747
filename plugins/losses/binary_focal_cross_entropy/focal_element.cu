// The loss binary_focal_cross_entropy's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh)
// over the mean of FocalElement, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "focal_element.hpp"

namespace nnplug::losses {

using Focal = ElementMean<FocalElement>;
template void mean_sample_loss_cuda<Focal, float>(const Focal&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<Focal, double>(const Focal&, const double*, const double*, double*, double*, std::int64_t, std::int64_t, void*);

}  // namespace nnplug::losses
