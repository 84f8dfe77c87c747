// NAdam's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over NadamStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "nadam_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<2, NadamStep, float>(const NadamStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<2, NadamStep, double>(const NadamStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
