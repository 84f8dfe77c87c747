// ASGD's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over AsgdStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "asgd_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<1, AsgdStep, float>(const AsgdStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<1, AsgdStep, double>(const AsgdStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
