// The loss log_cosh's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over the mean of
// LogCoshElement, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "log_cosh_element.hpp"

namespace nnplug::losses {

using LogCosh = ElementMean<LogCoshElement>;
template void mean_sample_loss_cuda<LogCosh, float>(const LogCosh&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<LogCosh, double>(const LogCosh&, const double*, const double*, double*, double*, std::int64_t, std::int64_t,
                                                     void*);

}  // namespace nnplug::losses
