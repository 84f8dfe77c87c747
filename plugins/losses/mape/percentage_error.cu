// The loss mape's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over the mean of
// PercentageError, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "percentage_error.hpp"

namespace nnplug::losses {

using Mape = ElementMean<PercentageError>;
template void mean_sample_loss_cuda<Mape, float>(const Mape&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<Mape, double>(const Mape&, const double*, const double*, double*, double*, std::int64_t, std::int64_t, void*);

}  // namespace nnplug::losses
