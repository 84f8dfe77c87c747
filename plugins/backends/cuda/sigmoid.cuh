#pragma once
// The logistic function in device code, as the activations and the recurrent cells compute it: 1 / (1 + e^-x),
// which is exactly 0 and 1 at the ends (e^-x overflows to inf and gives 0).
namespace nnplug::cuda {

template <typename T>
__device__ T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}

}  // namespace nnplug::cuda
