#pragma once
// mean_sample_loss_cuda's definition, for a loss's .cu file to instantiate with its SampleLoss (whose operator() is
// NNPLUG_HOST_DEVICE): a thread a row, as the CPU kernel's loop, then the rows' mean (mean_of_row_losses.cuh).
#include "mean_of_row_losses.cuh"
#include "sample_loss_cuda.hpp"

namespace nnplug::losses {

namespace sample_loss_detail {

template <typename SampleLoss, typename T>
struct SampleRows {
  SampleLoss sample_loss;
  const T *p, *t;
  T* dp;
  std::int64_t c;
  double weight;
  __device__ double operator()(std::int64_t i) const { return sample_loss(p + i * c, t + i * c, dp + i * c, c, weight); }
};

}  // namespace sample_loss_detail

template <typename SampleLoss, typename T>
void mean_sample_loss_cuda(const SampleLoss& sample_loss, const T* p, const T* t, T* loss, T* dp, std::int64_t n, std::int64_t c,
                           void* stream) {
  const double weight = 1.0 / static_cast<double>(n > 0 ? n : 1);  // each row's gradient is its share of the mean's
  cuda_kernels::mean_of_row_losses(sample_loss_detail::SampleRows<SampleLoss, T>{sample_loss, p, t, dp, c, weight}, loss, n, stream,
                                   "sample loss");
}

}  // namespace nnplug::losses
