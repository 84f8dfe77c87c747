// The loss msle's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over the mean of
// SquaredLogError, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "squared_log_error.hpp"

namespace nnplug::losses {

using Msle = ElementMean<SquaredLogError>;
template void mean_sample_loss_cuda<Msle, float>(const Msle&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<Msle, double>(const Msle&, const double*, const double*, double*, double*, std::int64_t, std::int64_t, void*);

}  // namespace nnplug::losses
