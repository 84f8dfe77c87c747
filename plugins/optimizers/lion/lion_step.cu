// Lion's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over LionStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "lion_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<1, LionStep, float>(const LionStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<1, LionStep, double>(const LionStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
