// The loss nll's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over
// NegativeLogLikelihoodRow, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "nll_row.hpp"

namespace nnplug::losses {

using Nll = NegativeLogLikelihoodRow;
template void mean_sample_loss_cuda<Nll, float>(const Nll&, const float*, const float*, float*, float*, std::int64_t, std::int64_t, void*);
template void mean_sample_loss_cuda<Nll, double>(const Nll&, const double*, const double*, double*, double*, std::int64_t, std::int64_t, void*);

}  // namespace nnplug::losses
