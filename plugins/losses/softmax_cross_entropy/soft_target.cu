// soft_target_cross_entropy's CUDA kernel (soft_target_cuda.hpp): a thread a row computes the row's loss and
// gradient with the CPU kernel's arithmetic (soft_target_row.hpp), then their mean (mean_of_row_losses.cuh).
#include "../shared/mean_of_row_losses.cuh"
#include "soft_target_cuda.hpp"
#include "soft_target_row.hpp"

namespace nnplug::cuda_kernels {

namespace {

template <typename T>
struct SoftTargetRows {
  const T *z, *t, *w;
  T* dz;
  std::int64_t n, c;
  double smoothing;
  __device__ double operator()(std::int64_t i) const { return losses::soft_target_row(z + i * c, t + i * c, w, dz + i * c, n, c, smoothing); }
};

}  // namespace

template <typename T>
void soft_target_cross_entropy(const T* z, const T* t, const T* w, T* loss, T* dz, std::int64_t n, std::int64_t c, double smoothing,
                               void* stream) {
  if (c == 0) return;  // rows of no classes: the tensors hold no values
  mean_of_row_losses(SoftTargetRows<T>{z, t, w, dz, n, c, smoothing}, loss, n, stream, "soft_target_cross_entropy");
}

template void soft_target_cross_entropy<float>(const float*, const float*, const float*, float*, float*, std::int64_t, std::int64_t, double, void*);
template void soft_target_cross_entropy<double>(const double*, const double*, const double*, double*, double*, std::int64_t, std::int64_t, double,
                                                void*);

}  // namespace nnplug::cuda_kernels
