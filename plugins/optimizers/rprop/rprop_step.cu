// Rprop's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over RpropStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "rprop_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<2, RpropStep, float>(const RpropStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<2, RpropStep, double>(const RpropStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
