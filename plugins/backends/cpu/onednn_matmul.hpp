#pragma once
// Matrix products in mixed precision on oneDNN's bfloat16 kernels (AVX-512 BF16 or AMX): the backend's
// "precision": "bfloat16" rounds a GEMM's two inputs to bfloat16 and accumulates in float32, as PyTorch's autocast
// runs torch.mm; C stays float32. Float32 GEMMs stay on Eigen, which bench/gemm_library_bench measured as fast as
// oneDNN's float32 matmul on the MLPs' shapes.
#include "nnplug/ops.hpp"

namespace nnplug::cpu {

// Returns true when it ran the op, false when the op is left to Eigen (not float32, or a build without oneDNN).
// m, n, k: C is m x n, and the products run over k.
bool onednn_gemm_bfloat16(const op::Gemm& o, std::int64_t m, std::int64_t n, std::int64_t k);

}  // namespace nnplug::cpu
