// The loss categorical_hinge's op on the GPU: the shared sample-loss kernel (../shared/sample_loss_cuda.cuh) over
// CategoricalHingeRow, the arithmetic the CPU kernel runs.
#include "../shared/sample_loss_cuda.cuh"
#include "categorical_hinge_row.hpp"

namespace nnplug::losses {

template void mean_sample_loss_cuda<CategoricalHingeRow, float>(const CategoricalHingeRow&, const float*, const float*, float*, float*, std::int64_t,
                                                                std::int64_t, void*);
template void mean_sample_loss_cuda<CategoricalHingeRow, double>(const CategoricalHingeRow&, const double*, const double*, double*, double*,
                                                                 std::int64_t, std::int64_t, void*);

}  // namespace nnplug::losses
