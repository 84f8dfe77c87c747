// Adamax's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over AdamaxStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "adamax_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<2, AdamaxStep, float>(const AdamaxStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<2, AdamaxStep, double>(const AdamaxStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
