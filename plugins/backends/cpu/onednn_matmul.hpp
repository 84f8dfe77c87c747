#pragma once
// Matrix products on oneDNN's matmul (Debian libdnnl 2.6). Float32: on the strided tensors themselves, no copy;
// a standalone measurement of every GEMM of the demo MLP and X10 (batch 128 and 256, both threads) found oneDNN
// 1.06 to 1.84 times as fast as Eigen. Mixed precision (the backend's "precision": "bfloat16"): the two inputs
// are rounded to bfloat16 copies and the products accumulated in float32, as PyTorch's autocast runs torch.mm;
// C stays float32. Float64 stays on Eigen (oneDNN has no float64 matmul).
#include "nnplug/ops.hpp"

namespace nnplug::cpu {

// What onednn_gemm did: nothing (the op is left to Eigen: not float32, an empty product, or a build without
// oneDNN), or the product, with the bias and the epilogue's function where its output pass took them (the bias
// when alpha is 1; ReLU and leaky ReLU, after the bias).
struct OnednnGemmDone {
  bool product = false, bias = false, epilogue = false;
};

// m, n, k: C is m x n, and the products run over k.
OnednnGemmDone onednn_gemm(const op::Gemm& o, std::int64_t m, std::int64_t n, std::int64_t k, bool bfloat16);

}  // namespace nnplug::cpu
