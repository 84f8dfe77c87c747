#pragma once
// Adafactor's ops on the GPU (adafactor_step.cu), on the stream the cuda backend hands its kernels, each value as the
// CPU kernels take it (adafactor_step.hpp); a failed launch throws std::runtime_error.
#include <cstdint>

#include "adafactor_step.hpp"

namespace nnplug::optimizers {

template <typename T>
void adafactor_factored_update_cuda(const AdafactorMoment& moment, const T* grad, T* row_var, T* col_var, T* update, const Factoring& f,
                                    void* stream);
template <typename T>
void adafactor_variance_update_cuda(const AdafactorMoment& moment, const T* grad, T* variance, T* update, std::int64_t n, void* stream);
// squares: the parameter's and the update's sums of squares, on the device.
template <typename T>
void adafactor_step_cuda(const AdafactorStep& step, const T* update, const T* squares, T* param, std::int64_t n, void* stream);

}  // namespace nnplug::optimizers
