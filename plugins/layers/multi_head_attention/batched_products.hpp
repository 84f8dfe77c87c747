#pragma once
// The op batched_matmul(a, b) -> (c): for every block i of a batch of matrices, c_i = alpha op(a_i) op(b_i) +
// beta c_i, op the transpose where trans_a or trans_b says, as torch.bmm (and torch.baddbmm for alpha and beta).
// Attention's products are one per sample and head: (28 x 16) by (16 x 28) in the transformer example, 512 of them
// for each of its six products a layer and step. As one built-in product each, their fixed cost (the op's checks and
// oneDNN's call) came to more than their arithmetic; as one op for all the blocks it is paid once.
//
// Kernels: on the cpu backend in float32, oneDNN's batched matmul (its code is made at run time for the CPU it runs
// on, so that this plugin, compiled for the baseline x86-64, multiplies with AVX-512 where the CPU has it); elsewhere
// and in float64, the composite reference: one of the backend's own products per block (the CUDA backend's cuBLAS
// products, and in mixed precision the backend's bfloat16 ones). A host reference of plain loops is what plugin-check
// measures both against.
#include "nnplug/registrar.hpp"

namespace nnplug::layers {

// Defines the op and its kernels.
OpHandle add_batched_matmul(Registrar& registrar);

}  // namespace nnplug::layers
