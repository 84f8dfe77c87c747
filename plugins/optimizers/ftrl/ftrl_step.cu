// FTRL's step on the GPU: the shared elementwise kernel (../shared/elementwise_step_cuda.cuh) over FtrlStep, the
// arithmetic the CPU kernel runs.
#include "../shared/elementwise_step_cuda.cuh"
#include "ftrl_step.hpp"

namespace nnplug::optimizers {

template void elementwise_step_cuda<2, FtrlStep, float>(const FtrlStep&, const float*, float* const*, std::int64_t, void*);
template void elementwise_step_cuda<2, FtrlStep, double>(const FtrlStep&, const double*, double* const*, std::int64_t, void*);

}  // namespace nnplug::optimizers
